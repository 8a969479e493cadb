"""Look-up of curvature rules by the exact class of a module or loss."""


def rules_for(registry, obj, what):
    """``registry[type(obj)]``; a ``TypeError`` naming ``obj`` and the supported classes if absent."""
    rules = registry.get(type(obj))
    if rules is None:
        supported = ", ".join(sorted(cls.__name__ for cls in registry))
        raise TypeError(f"the layerwise curvature recursion does not support {what} "
                        f"{type(obj).__name__} ({obj!r}); supported: {supported}")
    return rules
