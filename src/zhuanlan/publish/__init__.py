"""Publishing: schedules and renderers (HTML and text mail, Atom). Pure modules."""
