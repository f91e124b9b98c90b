"""The meeting record read back: exports, the digest, figures, charts, the draft summary, search."""
