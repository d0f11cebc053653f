"""The import paths the original project's documentation used (``pyfixmsg_plus.fixengine.*``), kept as thin
re-exports of the modules that now implement them."""
