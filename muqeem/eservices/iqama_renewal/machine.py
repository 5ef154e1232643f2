from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType, register_transitions

# A renewal is executed in the same transaction that submits it: submitted → completed.
TRANSITIONS: dict[tuple[str, str], str] = {
    (RequestStatus.SUBMITTED, RequestAction.COMPLETE): RequestStatus.COMPLETED,
}


def register() -> None:
    register_transitions(ServiceType.IQAMA_RENEWAL, TRANSITIONS)
