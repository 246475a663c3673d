class StaffAccessMiddleware:
    """Placeholder: network allow-list and staff session lifetime (issue #5)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
