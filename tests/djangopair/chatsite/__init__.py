"""A small real Django project with the seed's chat admin shapes: the legacy admin view and the DRF + simplejwt API."""
