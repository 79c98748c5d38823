"""The configuration document this component reads (JSON; blank means the
defaults). Unknown keys are refused, so a typo is not silently ignored."""

import json

DEFAULTS = {
    "rules": {"disabled": []},
    "limits": {"max_input_bytes": 256 << 20},
    "consolidate": {"max_part_bytes": 64 << 20, "max_buffer_bytes": 128 << 20},
}


class ConfigError(Exception):
    pass


class Config:
    def __init__(self, disabled, max_input_bytes, max_part_bytes, max_buffer_bytes):
        self.disabled = frozenset(disabled)
        self.max_input_bytes = max_input_bytes
        self.max_part_bytes = max_part_bytes
        self.max_buffer_bytes = max_buffer_bytes


def parse(text: str, known_rules) -> Config:
    settings = {section: dict(values) for section, values in DEFAULTS.items()}
    if text.strip():
        try:
            given = json.loads(text)
        except ValueError as e:
            raise ConfigError(f"invalid configuration: not JSON: {e}") from None
        if not isinstance(given, dict):
            raise ConfigError("invalid configuration: not a JSON object")
        for section, values in given.items():
            if section not in settings:
                raise ConfigError(f"invalid configuration: unknown section `{section}`")
            if not isinstance(values, dict):
                raise ConfigError(f"invalid configuration: `{section}` is not an object")
            for key, value in values.items():
                if key not in settings[section]:
                    raise ConfigError(f"invalid configuration: unknown field `{section}.{key}`")
                settings[section][key] = value
    disabled = settings["rules"]["disabled"]
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise ConfigError("invalid configuration: rules.disabled must be a list of rule ids")
    for rule in disabled:
        if rule not in known_rules:
            raise ConfigError(f"invalid configuration: rules.disabled names an unknown rule `{rule}`")
    sizes = {**settings["limits"], **settings["consolidate"]}
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
            raise ConfigError(f"invalid configuration: {key} must be an integer of at least 1024")
    return Config(disabled, **sizes)
