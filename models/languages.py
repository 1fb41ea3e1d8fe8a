"""The languages Linli speaks: a rule of the domain (what a person or group may choose)."""

LANGUAGES = ("zh", "en")
