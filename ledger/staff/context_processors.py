from django.conf import settings


def fund(request):
    """The fund's public name for every template."""
    return {"FUND_NAME": settings.FUND_NAME}
