"""The domain: events, meetings, the projections of a room's log and the rules that decide commands.
No I/O."""
