"""What the API and the console share at the HTTP edge: who is asking, by token or by session."""
