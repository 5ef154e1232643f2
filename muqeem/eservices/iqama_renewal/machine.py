from muqeem.workflow.machine import INSTANT, ServiceType, register_transitions


def register() -> None:
    register_transitions(ServiceType.IQAMA_RENEWAL, INSTANT)
