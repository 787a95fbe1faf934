"""The ground floor: what every app may use and that knows no app (the clock, the admin
and input bases, the best-effort cache write). Not a Django app: it has no models."""
