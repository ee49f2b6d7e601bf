"""``python -m demo`` (``make demo``): the admin's OpenID Connect login, running locally.

See ``__main__.py``; the settings are the test project's, with a database in
``demo-data/`` (``settings.py``).
"""
