"""The intake API's routes by area, as Powertools Routers that functions/intake/app.py includes in one resolver.

Only POST /requests (the consumer's form) loads its modules with the function: every other route imports its
services and models at its first call, so a cold start pays for the form alone."""
