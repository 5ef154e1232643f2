from muqeem.workflow.machine import RequestAction, RequestStatus, ServiceType, register_transitions

# Waiting for the current sponsor; approval completes the move in the same transaction.
TRANSITIONS: dict[tuple[str, str], str] = {
    (RequestStatus.SUBMITTED, RequestAction.APPROVE): RequestStatus.APPROVED,
    (RequestStatus.APPROVED, RequestAction.COMPLETE): RequestStatus.COMPLETED,
    (RequestStatus.SUBMITTED, RequestAction.REJECT): RequestStatus.REJECTED,
    (RequestStatus.SUBMITTED, RequestAction.EXPIRE): RequestStatus.EXPIRED,
    (RequestStatus.SUBMITTED, RequestAction.CANCEL): RequestStatus.CANCELLED,
}


def register() -> None:
    register_transitions(ServiceType.SERVICE_TRANSFER, TRANSITIONS)
