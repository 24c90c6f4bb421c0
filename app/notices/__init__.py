"""Notices: short e-mails that say there is something new, with a link, and never any case text."""
