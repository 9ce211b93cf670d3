"""IEEE 1609.2 / ETSI TS 103 097 message security: certificates, signing, verification.

Wire format: COER ``Ieee1609Dot2Data`` signed data carried after a GeoNetworking basic
header with next header 2 (see :mod:`v2x.framing`). Typical use::

    ca = TestbedCA(seed=b"run-42")
    cert, key = ca.issue_pseudonym(psids=[ITS_AID[MessageId.CAM]], start_unix_s=...,
                                   duration_s=7 * 86400)
    signer = Signer(cert, key)
    verifier = Verifier((ca.certificate,))
    secured = signer.sign(inner, psid=36, generation_time_us=clock.its_us(t_us),
                          lat_deg=37.5, lon_deg=127.0)
    verified = verifier.verify(secured, now_us=clock.its_us(t_us))
"""

from v2x.security.certificates import Certificate, TestbedCA
from v2x.security.signer import Signer
from v2x.security.verifier import REASONS, Verified, Verifier

__all__ = ["Certificate", "REASONS", "Signer", "TestbedCA", "Verified", "Verifier"]
