"""The refund claim page `/refunds/claim/<token>` (issue 12): the shopper picks the coin they
paid with and gives an address. Server-rendered in the checkout's languages and look
(routes.py, view.py, render.py, words.py, templates/); the rules are gateway.refunds.service.
"""
