"""Many log files in, one CloudTrail log out, as the contract's
consolidator asks: records ordered by `eventTime`, only byte-identical
copies dropped, records sharing an `eventID` and `eventTime` with other
bytes kept and reported as conflicts, parts of bounded size.

Memory is bounded by `consolidate.max_buffer_bytes`: a full buffer is
sorted and written to the host's scratch stream as a run, and the runs
are merged at the end (an external merge sort).
"""

import gzip
import heapq
import struct

import ctlog
from insights import outcome

_RUN_HEADER = struct.Struct(">II")  # lengths of the sort key and of the record
MAX_CONFLICTING = 100


def sort_key(record) -> bytes:
    time = record.get("eventTime")
    return (time if isinstance(time, str) else "").encode()


class Consolidation:
    def __init__(self, config, write_scratch):
        self.config = config
        self.write_scratch = write_scratch
        self.buffer = []  # (sort key, record bytes, event id)
        self.buffered = 0
        self.run_lengths = []
        self.scratch_error = None
        self.inputs = {}
        self.records_in = 0
        self.merged = None
        self.pending = None
        self.previous = None
        self.parts = 0
        self.duplicates = 0
        self.conflicts = 0
        self.conflicting = []
        self.first_time = self.last_time = ""
        self.ids_at_time = set()  # event ids written at the current event time

    def add(self, name, data):
        if self.merged is not None:
            raise RuntimeError("inputs come before `runs`")
        try:
            log = ctlog.read(data, self.config.max_input_bytes)
        except ctlog.Unreadable as e:
            result = outcome(name, "failed", size=len(data), detail=str(e))
        else:
            if log.skipped:
                result = outcome(name, "skipped", size=len(data), detail=log.skipped)
            else:
                for raw, record in log.records:
                    event_id = record.get("eventID")
                    entry = (sort_key(record), raw.encode(), event_id if isinstance(event_id, str) else None)
                    self.buffer.append(entry)
                    self.buffered += len(entry[1]) + 64
                    if self.buffered >= self.config.max_buffer_bytes:
                        self._spill()
                self.records_in += len(log.records)
                result = outcome(name, "analyzed", len(log.records), len(data), "cloudtrail-log")
        self.inputs[name] = result
        return result

    def record_failure(self, name, reason) -> dict:
        self.inputs[name] = outcome(name, "failed", detail=reason)
        return self.inputs[name]

    def _spill(self):
        self.buffer.sort()
        run = bytearray()
        for key, raw, event_id in self.buffer:
            ident = (event_id or "").encode()
            run += _RUN_HEADER.pack(len(key), len(raw)) + struct.pack(">I", len(ident)) + key + raw + ident
        try:
            self.write_scratch(bytes(run))
        except Exception as e:  # the host's stream: full, or closed
            self.scratch_error = self.scratch_error or f"the scratch run could not be written: {e}"
        self.run_lengths.append(len(run))
        self.buffer, self.buffered = [], 0

    def runs(self):
        """Ends the reading; raises RuntimeError when a run was not written whole."""
        # Once anything went to the scratch, everything does: the merge then
        # reads one kind of source.
        if self.run_lengths and self.buffer:
            self._spill()
        if self.scratch_error:
            raise RuntimeError(self.scratch_error)
        return list(self.run_lengths)

    def merge(self, readers):
        """`readers` are callables read(n) -> up to n bytes, b"" at the end, one per run."""
        if len(readers) != len(self.run_lengths):
            raise ValueError(f"{len(self.run_lengths)} runs were written, {len(readers)} given back")
        self.buffer.sort()
        self.merged = heapq.merge(self.buffer, *(_read_run(r) for r in readers))

    def _next_unique(self):
        for key, raw, event_id in self.merged:
            if self.previous is not None and self.previous == (key, raw):
                self.duplicates += 1
                continue
            if self.previous is None or self.previous[0] != key:
                self.ids_at_time = set()
            self.previous = (key, raw)
            if event_id is not None:
                if event_id in self.ids_at_time:
                    self.conflicts += 1
                    if len(self.conflicting) < MAX_CONFLICTING:
                        self.conflicting.append(f"{event_id} {key.decode()}")
                else:
                    self.ids_at_time.add(event_id)
            time = key.decode()
            if time:
                self.first_time = self.first_time or time
                self.last_time = time
            return raw
        return None

    def next_part(self):
        """The next gzip part and its record count, or None after the last."""
        if self.merged is None:
            raise RuntimeError("`next-part` comes after `merge`")
        records, size = [], 0
        while True:
            raw = self.pending or self._next_unique()
            self.pending = None
            if raw is None:
                break
            if records and size + len(raw) + 1 > self.config.max_part_bytes:
                self.pending = raw
                break
            records.append(raw)
            size += len(raw) + 1
        if not records:
            return None
        self.parts += 1
        body = b'{"Records":[' + b",".join(records) + b"]}"
        # mtime=0 and no file name: the same records give the same bytes.
        return f"part-{self.parts:05}.json.gz", gzip.compress(body, mtime=0), len(records)

    def finish(self):
        if self.merged is None or self.pending is not None or self._next_unique() is not None:
            raise RuntimeError("`finish` comes after `next-part` returned none")
        records_out = self.records_in - self.duplicates
        return {
            "records_in": self.records_in,
            "duplicates": self.duplicates,
            "records_out": records_out,
            "conflicts": self.conflicts,
            "conflicting": self.conflicting,
            "first_event_time": self.first_time,
            "last_event_time": self.last_time,
            "parts": self.parts,
            "problems": sorted(
                (i for i in self.inputs.values() if i["status"] != "analyzed"), key=lambda i: i["name"]
            ),
        }


def _read_run(read):
    buffered = _Buffered(read)
    while True:
        header = buffered.take(_RUN_HEADER.size + 4, at_end_ok=True)
        if header is None:
            return
        key_len, raw_len = _RUN_HEADER.unpack(header[:8])
        (id_len,) = struct.unpack(">I", header[8:])
        key = buffered.take(key_len)
        raw = buffered.take(raw_len)
        ident = buffered.take(id_len).decode()
        yield key, raw, ident or None


class _Buffered:
    """Reads a run in large chunks and hands out exact lengths."""

    def __init__(self, read):
        self.read, self.data, self.at = read, b"", 0

    def take(self, n, at_end_ok=False):
        while len(self.data) - self.at < n:
            chunk = self.read(1 << 20)
            if not chunk:
                if at_end_ok and self.at == len(self.data):
                    return None
                raise ValueError("a scratch run ends inside a record")
            self.data = self.data[self.at :] + chunk
            self.at = 0
        piece = self.data[self.at : self.at + n]
        self.at += n
        return piece
