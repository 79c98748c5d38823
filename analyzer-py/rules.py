"""This component's own rules: each a predicate over one parsed record."""


def _identity(record):
    identity = record.get("userIdentity")
    return identity if isinstance(identity, dict) else {}


def root_call(record):
    # A call by the root user itself, not by a service acting for it.
    return (
        _identity(record).get("type") == "Root"
        and record.get("eventType") != "AwsServiceEvent"
        and "invokedBy" not in _identity(record)
    )


TRAIL_CHANGES = frozenset({"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"})


def trail_changed(record):
    return (
        record.get("eventSource") == "cloudtrail.amazonaws.com"
        and record.get("eventName") in TRAIL_CHANGES
        and not record.get("errorCode")
    )


DENIALS = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"}
)


def denied(record):
    return record.get("errorCode") in DENIALS


class Rule:
    def __init__(self, id, title, severity, matches):
        self.id, self.title, self.severity, self.matches = id, title, severity, matches


RULES = (
    Rule("PY.1", "The root user made a call", "high", root_call),
    Rule("PY.2", "CloudTrail logging was stopped, deleted or narrowed", "critical", trail_changed),
    Rule("PY.3", "A call was denied", "low", denied),
)
RULE_IDS = frozenset(rule.id for rule in RULES)

# Severities delivered at once as alerts; the others wait for the report.
ALERTING = frozenset({"high", "critical"})
