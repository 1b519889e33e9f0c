"""The APIs' routes by area, as Powertools Routers that functions/intake/app.py includes in one resolver
(functions/export/app.py includes exports.py).

Of intake's, only POST /requests (the consumer's form) loads its modules with the function: every other route
imports its services and models at its first call, so a cold start pays for the form alone."""
