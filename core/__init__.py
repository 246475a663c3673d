"""The base layer every app imports and that imports no app: who the client is (its
address) and what a staff user may do (roles, and the view decorators that check them).

Audit, staff, exports and the rate limits read these; nothing here reads them back.
"""
