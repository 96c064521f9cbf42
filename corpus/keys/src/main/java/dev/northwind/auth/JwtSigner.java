package dev.northwind.auth;

final class JwtSigner {
    // TODO(sec-412): load from the KMS instead
    private static final String SIGNING_KEY =
        "-----BEGIN RSA PRIVATE KEY-----\n" +
        "MIIEowIBAAKCAQEA64pht83oHz3SdK2BYrdCm6LuWo8ThEfMv0AWRdFiKG9jiuQ5\n" +
        "n211J/K+Jt+wbVs4yFhKes5ridDtzPiuApg317+rC5WJ1+V1FnLCyICiSY6cMM98\n" +
        "+e4d4YePAO7RFkHjqmlzD//RX3c3R3CJA8ySf0APPXCbNFh/5dhP5ii9mT5/fnS2\n" +
        "jJAqclfvyKPxUPWq8C3qRiR3bcep6WchLvRg6RWpNF7ycuigSXoAJtyPpEitthTQ\n" +
        "KjwfB1y+9GG/+sW8sGhWxYpKd9P79qS3QxbEYy3lusD6ylgcxC7TCg95TkwEiCcd\n" +
        "0QXzlnFsluH5y/AclNA+RNPuIW537oLL+C2XjQIDAQABAoIBAH8BTROZGZLO+Q4l\n" +
        "CGE8Q9Q8FJ4MDBAFzydI3TmkX3NCLMCVs2R91vBFebboYu90gre0s+RoLaBQYglm\n" +
        "Bh4sCeBx3z8N0RfzCCGkm9cVVWyoUxwWpWL2vHIBcGCmZWPE/4fB+GMmI7WASPRi\n" +
        "f97mjg/DcPRGJcoh9kTvUJXgXeukuJSaOzdsZ371W9mVeIVhAU8GA2IcON/oWIWU\n" +
        "hSzd5VaQ7usIId7yfBoVQT3x3NL1YdxOndr886NjfjhXr8gDrZB/UaQasoM4h0Uq\n" +
        "cxZzow/fzT11OjR7f8sE+/unpH4EB/m6cAL5IfnrjCoBX0MDk+XEwhkUi+WzP8Jb\n" +
        "c1e4eVkCgYEA/VGsztue5cTMGivJS1q/BSC47T2dhoKZ+18t89PBBUmMBmmNcRPN\n" +
        "ElXELUnP8a2XEZX6iWxeeRPZtEDVBYOz23Nc7HesW+mtasOOvvflUqXbaQwHu7u6\n" +
        "She3HcCKpsEDHEOx2px2OiwErGsgmshHKaFBlQg5miP84p8RMgXZFccCgYEA7giJ\n" +
        "8+/Em4rAtk917CN+cs9js1QhuxA7SJV1gKCBrpxgjMFZhK59Bsw4BgsOp4Usd7tu\n" +
        "mV+RXGeDqusHBrTh4cmqQNs3PEXjYTchU8EJ4RpVRnipvvNWJUUOdI/OVjoskUs0\n" +
        "705I9G9TTtgLFIoyDG1bzo+H/iwEMqU8nle5GAsCgYEAllIjQ9Vbo2l23IjjOI4v\n" +
        "EHHsiwunMKzLhzlh4XDk96g/KYb1YgaoCJtQgLduaDHklZD0TRw7q4m2BJr8Tftr\n" +
        "fWwl1kTlyN0QBWzqhjRApxy46Ms0w5iQ4WrVRRh+rpmWqO0a22lBVx/L3izr+i2i\n" +
        "3PdOHYv18pwscqaF47NIsP0CgYBbR9L/RLc0nqUARMCH6aSYCofFQUIeJj9Vulrx\n" +
        "FJwmhblQwOS/SNqRPMdPKfZYr206DRqAnnFz6g5IAREUtVDZ8Sfk7yvjZTmpEicp\n" +
        "oyFSvXJuL9+IZnBmonDEqlEKKAznOtv12SOI+RgNaDP3kHdY5KcMM2aHRgHmGg+A\n" +
        "+Ur1uQKBgELE9vSzen82rb5mS519KwuriMmNdnyDHghb6sQWfsZluoUUE651KIdt\n" +
        "aoBiWiUGpXLstiVEio5LOZkqAS/N98/41HD5Ak3HXc24gR0E4TcvnulpW0L7m6V1\n" +
        "sKOzJ/iNmFmVMEfR2h1hAT6TJ7TVSwdQM0JnRqlzQ9JFarxiSH5k\n" +
        "-----END RSA PRIVATE KEY-----\n";

    private static final String PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\n" + PUB_BODY;
}
