"""The interface's strings, English and 中文, one TOML file per language."""

import tomllib
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
LANGUAGE_KEY = "lang"
_FOLDER = Path(__file__).parent / "locales"


def _load(code):
    with open(_FOLDER / f"{code}.toml", "rb") as handle:
        sections = tomllib.load(handle)
    return {f"{section}.{key}": text for section, entries in sections.items() for key, text in entries.items()}


STRINGS = {code: _load(code) for code in LANGUAGES}


# Each script run has its own context, so sessions never see each other's language; reading it
# here is much cheaper than a session-state lookup per string.
_language = ContextVar("language", default="en")


def use_language(code):
    _language.set(code if code in STRINGS else "en")


def language():
    return _language.get()


def t(key, /, **values):
    """The string `key` ("section.name") in the current language, with {values} filled in."""
    text = STRINGS[language()].get(key) or STRINGS["en"].get(key) or key
    return text.format(**values) if values else text
