"""The interactive terminal session of ``pyworker dev``: the hotkey bar, its keys, and debuggers."""
