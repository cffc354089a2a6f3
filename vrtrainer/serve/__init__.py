"""`vrtrainer serve`: a trainer watches and coaches live sessions from a browser (docs/live.md)."""
