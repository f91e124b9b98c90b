"""The meeting record read back: what the chair's summary is written from.

``record`` loads every room's log of a meeting and projects it into facts (agenda items,
interventions, floor requests, groups); ``digest``, ``figures``, ``charts`` and ``summary`` turn
those facts into documents; ``search`` indexes the transcript. Everything here is a pure function
of the log, so the same log gives the same documents on either backend.
"""
