"""Hot reload: watching files (``watch``) and reloading the workers they belong to (``reloader``)."""
