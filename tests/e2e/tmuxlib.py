"""Kept for tests written before the helpers moved: Tmux lives in mwlib,
the one helper module of the e2e tests, the soak and the bench."""
from mwlib import Tmux  # noqa: F401
