"""Transcripts: reading and searching them, as HTML and text, by e-mail; the offline form and its mail."""
