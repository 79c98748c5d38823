"""Reads one CloudTrail log file, `{"Records":[...]}`, gzipped or not.

Each record comes back twice: parsed, for the rules, and as the exact text
it had in the file, for consolidation, which drops only byte-identical
copies and so must write records back unchanged. The standard library's
JSON decoder gives both: `raw_decode` parses one value and says where it
ended.
"""

import gzip
import io
import json
import re
import zlib

# The keys of a CloudTrail digest file: recognized and skipped, never an error.
DIGEST_KEYS = frozenset({"digestStartTime", "digestEndTime", "logFiles"})

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class Unreadable(Exception):
    """The input is not a readable CloudTrail log; the message says why."""


class Log:
    """What an input held: its records, or why it was skipped."""

    def __init__(self, records=None, skipped=None):
        self.records = records if records is not None else []
        self.skipped = skipped


def read(data: bytes, max_bytes: int) -> Log:
    """Reads `data`; raises Unreadable with the reason when it cannot."""
    return parse(decode(data, max_bytes))


def decode(data: bytes, max_bytes: int) -> str:
    if data[:2] == b"\x1f\x8b":
        try:
            # GzipFile reads every member of a multi-member file.
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as member:
                data = member.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as e:
            raise Unreadable(f"not a readable gzip file: {e}") from None
    if len(data) > max_bytes:
        raise Unreadable(f"larger than limits.max_input_bytes ({max_bytes} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Unreadable(f"not UTF-8 (byte {e.start})") from None
    if not text.strip():
        raise Unreadable("empty input")
    return text


def parse(text: str) -> Log:
    try:
        return _parse_object(text)
    except IndexError:
        raise Unreadable("the document ends inside a value") from None
    except json.JSONDecodeError as e:
        raise Unreadable(f"not JSON: {e.msg} at character {e.pos}") from None


def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()


def _expect(text: str, at: int, char: str, what: str) -> int:
    if text[at] != char:
        raise Unreadable(f"expected {what} at character {at}")
    return _skip(text, at + 1)


def _parse_object(text: str) -> Log:
    at = _skip(text, 0)
    if text[at] != "{":
        raise Unreadable("not a CloudTrail log: the document is not a JSON object")
    at = _skip(text, at + 1)
    keys = set()
    records = None
    while text[at] != "}":
        key, at = _DECODER.raw_decode(text, at)
        if not isinstance(key, str):
            raise Unreadable(f"expected a key at character {at}")
        at = _expect(text, _skip(text, at), ":", "':'")
        if key == "Records":
            records, at = _parse_records(text, at)
        else:
            _, at = _DECODER.raw_decode(text, at)
        keys.add(key)
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        elif text[at] != "}":
            raise Unreadable(f"expected ',' or '}}' at character {at}")
    if _skip(text, at + 1) != len(text):
        raise Unreadable("text after the end of the document")
    if records is not None:
        return Log(records=records)
    if DIGEST_KEYS <= keys:
        return Log(skipped="CloudTrail digest file")
    # What `verify` reads beside the logs, as the default component skips them.
    if keys == {"signature", "signature-algorithm"}:
        return Log(skipped="signature of a CloudTrail digest file")
    if keys == {"PublicKeyList"}:
        return Log(skipped="CloudTrail public keys")
    raise Unreadable('no "Records" list')


def _parse_records(text: str, at: int):
    if text[at] != "[":
        raise Unreadable('"Records" is not a list')
    at = _skip(text, at + 1)
    records = []
    while text[at] != "]":
        start = at
        record, at = _DECODER.raw_decode(text, at)
        if not isinstance(record, dict):
            raise Unreadable(f"record {len(records) + 1} is not a JSON object")
        records.append((text[start:at], record))
        at = _skip(text, at)
        if text[at] == ",":
            at = _skip(text, at + 1)
        elif text[at] != "]":
            raise Unreadable(f"expected ',' or ']' at character {at}")
    return records, at + 1
