"""The admin panel shell and its views, in the browser."""
