"""The contract's `analyzer` resources (`session`, `consolidator`): glue
between WIT types and streams and the pure Python in insights.py and
consolidation.py. componentize-py finds them here by the interface's name."""

from componentize_py_types import Err

import config as configuration
import consolidation
import insights
from rules import RULE_IDS
from wit_world.exports import analyzer
from wit_world.imports import streams
from wit_world.imports import types as t

CHUNK = 4096  # the most one blocking-write-and-flush may take


def parse_config(text):
    try:
        return configuration.parse(text, RULE_IDS)
    except configuration.ConfigError as e:
        raise Err(t.Error_InvalidConfig(str(e))) from None


def read_all(stream, limit):
    """The whole stream, or None (after reading at most limit + 1 bytes) when it is larger."""
    chunks, total = [], 0
    with stream:
        while total <= limit:
            try:
                chunk = stream.blocking_read(1 << 20)
            except Err as e:
                if isinstance(e.value, streams.StreamError_Closed):
                    break
                raise
            chunks.append(chunk)
            total += len(chunk)
    return b"".join(chunks) if total <= limit else None


def write_all(stream, data, close=True):
    try:
        for at in range(0, len(data), CHUNK):
            stream.blocking_write_and_flush(data[at : at + CHUNK])
        stream.blocking_flush()
    except Err as e:
        raise Err(t.Error_Limit(f"the host's stream refused the bytes: {e.value}")) from None
    finally:
        if close:
            stream.__exit__(None, None, None)


def to_outcome(o):
    return t.InputOutcome(o["name"], t.InputStatus[o["status"].upper()], o["events"], o["bytes"], o["detail"])


def add_stream(target, name, data, limit):
    """Reads a streamed input whole (this component holds each input in memory), then adds it."""
    try:
        content = read_all(data, limit)
    except Err as e:
        return to_outcome(target.record_failure(name, f"the host's stream failed: {e.value}"))
    if content is None:
        return to_outcome(target.record_failure(name, f"larger than limits.max_input_bytes ({limit} bytes)"))
    return to_outcome(target.add(name, content))


class Session(analyzer.Session):
    def __init__(self, session):
        self.session = session
        self.artifacts = None

    @classmethod
    def open(cls, config):
        return cls(insights.Session(parse_config(config)))

    def add_bytes(self, name, data):
        return to_outcome(self.session.add(name, data))

    def add_stream(self, name, data):
        return add_stream(self.session, name, data, self.session.config.max_input_bytes)

    def record_failure(self, name, reason):
        self.session.record_failure(name, reason)

    def export_state(self):
        return self.session.tally.to_json()

    def merge_state(self, state):
        try:
            self.session.tally.merge(insights.Tally.from_json(state))
        except ValueError as e:
            raise Err(t.Error_InvalidState(str(e))) from None

    def finish(self):
        summary, problems, alerts, self.artifacts = self.session.finish()
        return t.Report(
            t.Summary(**summary),
            [t.ArtifactInfo(name, media_type(name), len(data)) for name, data in self.artifacts.items()],
            [to_outcome(p) for p in problems],
            [t.Alert(**a) for a in alerts],
        )

    def write_artifact(self, name, out):
        if self.artifacts is None or name not in self.artifacts:
            out.__exit__(None, None, None)
            raise Err(t.Error_InvalidState(f"no artifact `{name}` (finish comes first)"))
        write_all(out, self.artifacts.pop(name))


def media_type(name):
    return {"json": "application/json", "csv": "text/csv", "gz": "application/gzip"}[name.rsplit(".", 1)[1]]


class Consolidator(analyzer.Consolidator):
    def __init__(self, run, scratch):
        self.run = run
        self.scratch = scratch

    @classmethod
    def open(cls, config, scratch):
        run = consolidation.Consolidation(parse_config(config), lambda data: write_all(scratch, data, close=False))
        return cls(run, scratch)

    def add_bytes(self, name, data):
        return to_outcome(self.run.add(name, data))

    def add_stream(self, name, data):
        return add_stream(self.run, name, data, self.run.config.max_input_bytes)

    def record_failure(self, name, reason):
        self.run.record_failure(name, reason)

    def runs(self):
        try:
            return self.run.runs()
        except RuntimeError as e:
            raise Err(t.Error_Limit(str(e))) from None

    def merge(self, runs):
        try:
            self.run.merge([reader(stream) for stream in runs])
        except (ValueError, RuntimeError) as e:
            raise Err(t.Error_InvalidState(str(e))) from None

    def next_part(self, out):
        try:
            part = self.run.next_part()
        except (ValueError, RuntimeError) as e:
            out.__exit__(None, None, None)
            raise Err(t.Error_InvalidState(str(e))) from None
        if part is None:
            out.__exit__(None, None, None)
            return None
        name, data, records = part
        write_all(out, data)
        return t.ConsolidatedPart(t.ArtifactInfo(name, "application/gzip", len(data)), records)

    def finish(self):
        try:
            c = self.run.finish()
        except RuntimeError as e:
            raise Err(t.Error_InvalidState(str(e))) from None
        problems = [to_outcome(p) for p in c.pop("problems")]
        return t.Consolidation(**c, problems=problems)


def reader(stream):
    """read(n) over an input stream: b"" once it is closed."""

    def read(n):
        try:
            return stream.blocking_read(n)
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                return b""
            raise ValueError(f"a scratch run could not be read: {e.value}") from None

    return read
