"""The Cable Viewer website: views, cable text markup, templates, the ASGI app."""
