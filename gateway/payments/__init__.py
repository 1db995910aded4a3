"""Payment requests: deposit addresses (BIP-44), EIP-681 / Solana Pay URIs, QR codes.

Pure modules (no I/O, no database): `hd.derive_address`, `uri.eip681_native/eip681_token/
solana_pay` and their parsers, `references.new_reference`, `amounts.format_units`,
`qr.render_svg/render_png` and `qr.QrCache`.
"""
