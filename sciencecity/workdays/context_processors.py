def calendar_warning(request):
    """Placeholder replaced by the workdays module: warns administrators about unknown calendar years."""
    return {}
