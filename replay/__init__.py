"""Session replay: recording reads, the session index, frustration signals, the player."""
