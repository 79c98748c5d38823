"""An analysis session: the old analyzer's counts, this component's
findings, and the artifacts that report them. Pure Python: the component
glue (analyzer.py) and the tests drive it alike."""

import csv
import io
import json
from collections import Counter

import ctlog
from rules import ALERTING, RULES

# The old analyzer's JSON keys, with exactly its meaning (see the README).
LEGACY_COUNTS = (
    "event_counts",
    "resource_counts",
    "account_counts",
    "region_counts",
    "source_ip_counts",
    "event_type_counts",
    "event_category_counts",
)
# Counted only when truthy, as the old analyzer did.
TRUTHY_FIELDS = (
    ("region_counts", "awsRegion"),
    ("source_ip_counts", "sourceIPAddress"),
    ("event_type_counts", "eventType"),
    ("event_category_counts", "eventCategory"),
)
STATE_FORMAT = "analyzer-py-state/1"
# Findings kept for the report; every one is still counted.
MAX_FINDINGS = 10_000


def json_key(value):
    """The dict key json.dumps makes of `value`, as the old analyzer's output had."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    raise ValueError(f"a {type(value).__name__} cannot be counted as a key")


class Tally:
    """Everything a session has counted: what export-state carries."""

    def __init__(self):
        self.counts = {key: Counter() for key in LEGACY_COUNTS}
        self.total_events = 0
        self.findings = []
        self.findings_total = 0
        self.inputs = {}  # name -> outcome dict

    def merge(self, other):
        for key in LEGACY_COUNTS:
            self.counts[key].update(other.counts[key])
        self.total_events += other.total_events
        self.findings_total += other.findings_total
        room = MAX_FINDINGS - len(self.findings)
        self.findings.extend(other.findings[: max(room, 0)])
        self.inputs.update(other.inputs)

    def to_json(self):
        return json.dumps(
            {
                "format": STATE_FORMAT,
                "counts": self.counts,
                "total_events": self.total_events,
                "findings": self.findings,
                "findings_total": self.findings_total,
                "inputs": self.inputs,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes):
        try:
            state = json.loads(data)
            if state.get("format") != STATE_FORMAT:
                raise ValueError(f"not an {STATE_FORMAT} state")
            tally = cls()
            for key in LEGACY_COUNTS:
                tally.counts[key].update(state["counts"][key])
            tally.total_events = int(state["total_events"])
            tally.findings = list(state["findings"])
            tally.findings_total = int(state["findings_total"])
            tally.inputs = dict(state["inputs"])
            return tally
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise ValueError(f"unreadable state: {e}") from None


def outcome(name, status, events=0, size=0, detail=""):
    return {"name": name, "status": status, "events": events, "bytes": size, "detail": detail}


class Session:
    def __init__(self, config):
        self.config = config
        self.rules = [r for r in RULES if r.id not in config.disabled]
        self.tally = Tally()

    def add(self, name: str, data: bytes) -> dict:
        """Analyzes one input. A failing input contributes nothing, the
        others still count: its records are tallied apart, then merged."""
        try:
            log = ctlog.read(data, self.config.max_input_bytes)
            if log.skipped:
                result = outcome(name, "skipped", size=len(data), detail=log.skipped)
            else:
                own = Tally()
                for number, (_, record) in enumerate(log.records, 1):
                    try:
                        self._count(own, name, record)
                    except (ValueError, TypeError, AttributeError) as e:
                        raise ctlog.Unreadable(f"record {number}: {e}") from None
                self.tally.merge(own)
                result = outcome(name, "analyzed", len(log.records), len(data), "cloudtrail-log")
        except ctlog.Unreadable as e:
            result = outcome(name, "failed", size=len(data), detail=str(e))
        self.tally.inputs[name] = result
        return result

    def record_failure(self, name: str, reason: str) -> dict:
        self.tally.inputs[name] = outcome(name, "failed", detail=reason)
        return self.tally.inputs[name]

    def _count(self, tally, name, record):
        """The old analyzer's loop, with its errors made reasons."""
        counts = tally.counts
        counts["event_counts"][json_key(record.get("eventName"))] += 1
        resources = record.get("resources")
        if resources is not None:
            if not isinstance(resources, list):
                raise ValueError("`resources` is not a list")
            for resource in resources:
                if not isinstance(resource, dict):
                    raise ValueError("an element of `resources` is not an object")
                counts["resource_counts"][json_key(resource.get("type"))] += 1
        identity = record.get("userIdentity", {})
        if not isinstance(identity, dict):
            raise ValueError("`userIdentity` is not an object")
        counts["account_counts"][json_key(identity.get("type", "Unknown"))] += 1
        for key, field in TRUTHY_FIELDS:
            value = record.get(field)
            if value:
                counts[key][json_key(value)] += 1
        tally.total_events += 1
        for rule in self.rules:
            if rule.matches(record):
                tally.findings_total += 1
                if len(tally.findings) < MAX_FINDINGS:
                    tally.findings.append(finding(rule, record, name))

    def finish(self):
        """The report's summary, problems, alerts and artifacts (name -> bytes)."""
        tally = self.tally
        inputs = tally.inputs.values()
        findings = sorted(tally.findings, key=lambda f: (f["event_time"], f["rule_id"], f["event_id"]))
        insights = {key: dict(sorted(tally.counts[key].items())) for key in LEGACY_COUNTS}
        insights["total_events"] = tally.total_events
        insights["findings"] = tally.findings_total
        insights["findings_by_rule"] = dict(sorted(Counter(f["rule_id"] for f in tally.findings).items()))
        summary = {
            "inputs": len(tally.inputs),
            "analyzed": sum(i["status"] == "analyzed" for i in inputs),
            "skipped": sum(i["status"] == "skipped" for i in inputs),
            "failed": sum(i["status"] == "failed" for i in inputs),
            "events": tally.total_events,
            "findings": tally.findings_total,
        }
        artifacts = {
            "insights.json": (json.dumps(insights, indent=2, sort_keys=True) + "\n").encode(),
            "insights.csv": event_csv(tally.counts["event_counts"]),
            "findings.json": (json.dumps(findings, indent=2, sort_keys=True) + "\n").encode(),
        }
        problems = sorted((i for i in inputs if i["status"] != "analyzed"), key=lambda i: i["name"])
        alerts = [alert(f) for f in findings if f["severity"] in ALERTING]
        return summary, problems, alerts, artifacts


def finding(rule, record, name):
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    return {
        "rule_id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "event_id": str(record.get("eventID") or ""),
        "event_time": str(record.get("eventTime") or ""),
        "event_name": str(record.get("eventName") or ""),
        "principal": str(identity.get("arn") or identity.get("type") or ""),
        "source_ip": str(record.get("sourceIPAddress") or ""),
        "region": str(record.get("awsRegion") or ""),
        "account": str(record.get("recipientAccountId") or ""),
        "input": name,
    }


def alert(finding):
    subject = f"[{finding['severity']}] {finding['title']}: {finding['event_name']}"
    printable = "".join(c if " " <= c <= "~" else "?" for c in subject)[:99]
    return {
        "key": f"{finding['rule_id']}/{finding['event_id'] or finding['event_time']}",
        "subject": printable,
        "body": json.dumps(finding, sort_keys=True),
    }


def event_csv(events: Counter) -> bytes:
    """The old analyzer's CSV: `event_name,count`, most frequent first, ties by name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["event_name", "count"])
    for name, n in sorted(events.items(), key=lambda item: (-item[1], item[0])):
        # A leading =, +, - or @ would be a formula to a spreadsheet.
        writer.writerow(["'" + name if name[:1] and name[0] in "=+-@" else name, n])
    return out.getvalue().encode()
