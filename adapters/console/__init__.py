"""The admin console under `/admin`: server-rendered pages of insights, sources and runs,
and the question log, for admins signed in with a one-time link from chat."""
