"""Session replay from chunk to playback: the recording stream, page snapshots, the session index and
the session queries. Imports footfall.analysis and footfall.store only."""
