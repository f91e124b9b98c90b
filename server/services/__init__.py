"""What the server does with rooms and meetings: commands, groups, the rooms a process follows."""
