"""Labelled lookalike pairs over the evaluation directory's protected identities.

candidate <TAB> protected <TAB> expected(yes|no) <TAB> technique-or-note

"yes": the candidate imitates that protected identity and must be reported
(with it as the target). "no": it must not be reported at all; the protected
column names what it resembles. IDN candidates are given as A-labels (xn--);
the note shows the Unicode form.
"""


def idn(uni):
    return ".".join(l if all(ord(c) < 128 for c in l) else "xn--" + l.encode("punycode").decode()
                    for l in uni.split("."))


O, O2 = "northwind-health.example", "nwh.example"
BP, KE, LL, HV = "bluepeak-ms.example", "kestrelid.test", "ledgerline.example", "halvorsen-imaging.example"
DW, CT, AT, CV, FH, QU = ("druckwerk.test", "clairtel.example", "atalaya-soluciones.example", "corvidnet.test",
                          "fernhill-supplies.example", "quillon.example")

CYR_E, CYR_A, CYR_O, CYR_I, CYR_C, CYR_P = "\u0435", "\u0430", "\u043e", "\u0456", "\u0441", "\u0440"
GR_O, GR_I, ARM_O, ARM_H = "\u03bf", "\u03b9", "\u0585", "\u0570"

YES = [
    # organisation, long domain
    ("northwind-heath.example", O, "typo: omission"),
    ("northwind-healh.example", O, "typo: omission"),
    ("nortwind-health.example", O, "typo: omission"),
    ("northwnid-health.example", O, "typo: transposition"),
    ("northwind-hael th.example".replace(" ", ""), O, "typo: transposition"),
    ("northwiind-health.example", O, "typo: repetition"),
    ("northwind-healtth.example", O, "typo: repetition"),
    ("northwind-healtg.example", O, "typo: keyboard neighbour h->g"),
    ("northwimd-health.example", O, "typo: keyboard neighbour n->m"),
    ("northwlnd-health.example", O, "homoglyph: l for i"),
    ("n0rthwind-health.example", O, "homoglyph: digit 0 for o"),
    ("northvvind-health.example", O, "homoglyph: vv for w"),
    (idn(f"northwind-h{CYR_E}alth.example"), O, f"IDN homoglyph: Cyrillic e (northwind-h{CYR_E}alth)"),
    (idn(f"n{GR_O}rthwind-health.example"), O, f"IDN homoglyph: Greek omicron (n{GR_O}rthwind-health)"),
    (idn(f"n{ARM_O}rthwind-health.example"), O, f"IDN homoglyph: Armenian o (n{ARM_O}rthwind-health)"),
    (idn(f"northw{CYR_I}nd-health.example"), O, f"IDN homoglyph: Cyrillic/Ukrainian i (northw{CYR_I}nd-health)"),
    ("northwind-health.test", O, "TLD swap"),
    ("northwind-health.com", O, "TLD swap"),
    ("northwindhealth.example", O, "hyphen removed"),
    ("north-wind-health.example", O, "hyphen inserted"),
    ("northwind-health-support.example", O, "combosquat: + support"),
    ("northwind-health-helpdesk.test", O, "combosquat: + helpdesk, other TLD"),
    ("secure-northwind-health.example", O, "combosquat: secure + brand"),
    ("northwindhealth-login.com", O, "combosquat: + login, no hyphen in brand"),
    ("northwind-health-payroll.test", O, "combosquat: + payroll"),
    ("northwind-health.example.secure-login.test", O, "brand as subdomain"),
    ("northwind-health.example-sso.test", O, "brand as subdomain with hyphenated suffix label"),
    ("northwindhealth.account-verify.test", O, "brand (no hyphen) as subdomain"),
    # organisation, short domain
    ("nwh-itsupport.example", O2, "combosquat: + itsupport"),
    ("nwh-helpdesk.test", O2, "combosquat: + helpdesk"),
    ("nwh-login.example", O2, "combosquat: + login"),
    ("nwh.example.account-verify.test", O2, "brand as subdomain"),
    ("nwh.test", O2, "TLD swap of a short name"),
    # Bluepeak
    ("bluepaek-ms.example", BP, "typo: transposition"),
    ("bleupeak-ms.example", BP, "typo: transposition"),
    ("bluepeak-rns.example", BP, "homoglyph: rn for m"),
    ("b1uepeak-ms.example", BP, "homoglyph: digit 1 for l"),
    ("bluepeek-ms.example", BP, "typo: substitution a->e"),
    ("bluepeakms.example", BP, "hyphen removed"),
    ("bluepeak-ms.test", BP, "TLD swap"),
    ("bluepeak-ms-support.example", BP, "combosquat: + support"),
    ("bluepeak-ms-remote.test", BP, "combosquat: + remote"),
    ("bluepeak-ms.example.portal-signin.test", BP, "brand as subdomain"),
    (idn(f"bluep{CYR_E}ak-ms.example"), BP, f"IDN homoglyph: Cyrillic e (bluep{CYR_E}ak-ms)"),
    ("bluepeakmanagedservices-support.example", BP, "combosquat on the vendor's full brand name"),
    # Kestrel
    ("kestrelld.test", KE, "typo: repetition"),
    ("kestreid.test", KE, "typo: omission"),
    ("kestrleid.test", KE, "typo: transposition"),
    ("kestre1id.test", KE, "homoglyph: digit 1 for l"),
    ("kestrelid.example", KE, "TLD swap"),
    ("kestrelid.com", KE, "TLD swap"),
    ("kestrelid-login.test", KE, "combosquat: + login"),
    ("kestrelid-sso.example", KE, "combosquat: + sso, other TLD"),
    ("mfa-kestrelid.test", KE, "combosquat: mfa + brand"),
    (idn(f"k{CYR_E}strelid.test"), KE, f"IDN homoglyph: Cyrillic e (k{CYR_E}strelid)"),
    ("kestrelid.test.auth-check.example", KE, "brand as subdomain"),
    ("kestrelidentity-support.test", KE, "combosquat on the vendor's brand name Kestrel Identity"),
    # Ledgerline
    ("ledger1ine.example", LL, "homoglyph: digit 1 for l"),
    ("ledgerlline.example", LL, "typo: repetition"),
    ("ledgreline.example", LL, "typo: transposition"),
    ("ledgerlne.example", LL, "typo: omission"),
    ("ledgerline.test", LL, "TLD swap"),
    ("ledgerline-payments.example", LL, "combosquat: + payments"),
    ("ledgerline-billing.test", LL, "combosquat: + billing"),
    ("ledger-line.example", LL, "hyphen inserted"),
    ("ledgerline.example.invoice-portal.test", LL, "brand as subdomain"),
    (idn(f"ledg{CYR_E}rline.example"), LL, f"IDN homoglyph: Cyrillic e (ledg{CYR_E}rline)"),
    ("ledgerlinepayroll-hr.example", LL, "combosquat on brand name Ledgerline Payroll + hr"),
    # Halvorsen
    ("halvorsen-imaging.test", HV, "TLD swap"),
    ("halvorsen-imagimg.example", HV, "typo: keyboard neighbour n->m"),
    ("halvorson-imaging.example", HV, "typo: substitution e->o"),
    ("halvorsen-imagng.example", HV, "typo: omission"),
    ("halvorsenimaging.example", HV, "hyphen removed"),
    ("halvorsen-imaging-service.example", HV, "combosquat: + service"),
    ("halvorsen-imaging.example.remote-support.test", HV, "brand as subdomain"),
    (idn(f"halvorsen-imag{CYR_I}ng.example"), HV, f"IDN homoglyph: Cyrillic i (halvorsen-imag{CYR_I}ng)"),
    # Druckwerk
    ("drukwerk.test", DW, "typo: omission"),
    ("druckwerck.test", DW, "typo: insertion"),
    ("druckwrek.test", DW, "typo: transposition"),
    ("druckwerk.example", DW, "TLD swap"),
    ("druckwerk.de", DW, "TLD swap to a country code"),
    ("druckwerk-service.example", DW, "combosquat: + service, other TLD"),
    ("druckwerk-support.test", DW, "combosquat: + support"),
    (idn(f"druckw{CYR_E}rk.test"), DW, f"IDN homoglyph: Cyrillic e (druckw{CYR_E}rk)"),
    ("druckwerk.test.kundenportal.example", DW, "brand as subdomain"),
    ("druckwerk-kundendienst.test", DW, "combosquat with a German word (Kundendienst = customer service)"),
    # Clairtel
    ("clalrtel.example", CT, "homoglyph: l for i"),
    ("clairtell.example", CT, "typo: repetition"),
    ("clairte1.example", CT, "homoglyph: digit 1 for l"),
    ("cliartel.example", CT, "typo: transposition"),
    ("clairtel.test", CT, "TLD swap"),
    ("clairtel-support.example", CT, "combosquat: + support"),
    ("clairtel-facture.test", CT, "combosquat with a French word (facture = invoice)"),
    ("clairtel.example.facturation-en-ligne.test", CT, "brand as subdomain"),
    (idn(f"{CYR_C}lairtel.example"), CT, f"IDN homoglyph: Cyrillic es ({CYR_C}lairtel)"),
    (idn(f"clairt{GR_O}l.example".replace(GR_O, CYR_E)), CT, f"IDN homoglyph: Cyrillic e (clairt{CYR_E}l)"),
    # Atalaya
    ("atalaya-soluciones.test", AT, "TLD swap"),
    ("atalaya-solucione.example", AT, "typo: omission"),
    ("atalaya-solcuiones.example", AT, "typo: transposition"),
    ("atalaya-so1uciones.example", AT, "homoglyph: digit 1 for l"),
    ("atalayasoluciones.example", AT, "hyphen removed"),
    ("atalaya-soluciones-helpdesk.example", AT, "combosquat: + helpdesk"),
    ("soporte-atalaya-soluciones.example", AT, "combosquat with a Spanish word (soporte = support)"),
    (idn(f"atal{CYR_A}ya-soluciones.example"), AT, f"IDN homoglyph: Cyrillic a (atal{CYR_A}ya-soluciones)"),
    ("atalaya-soluciones.example.login-seguro.test", AT, "brand as subdomain"),
    # Corvid (overdue vendor: still protected)
    ("corvldnet.test", CV, "homoglyph: l for i"),
    ("corvidnett.test", CV, "typo: repetition"),
    ("corvidnet.example", CV, "TLD swap"),
    ("corvidnet-secure.test", CV, "combosquat: + secure"),
    (idn(f"c{CYR_O}rvidnet.test"), CV, f"IDN homoglyph: Cyrillic o (c{CYR_O}rvidnet)"),
    ("corvidnetworks-support.example", CV, "combosquat on brand name Corvid Networks + support"),
    # Fernhill (suspended vendor: still protected)
    ("fernhill-supplies.test", FH, "TLD swap"),
    ("fernhil-supplies.example", FH, "typo: omission"),
    ("fernhill-suppl1es.example", FH, "homoglyph: digit 1 for i"),
    ("fernhill-supplies-billing.example", FH, "combosquat: + billing"),
    # Quillon
    ("quill0n.example", QU, "homoglyph: digit 0 for o"),
    ("qulllon.example", QU, "homoglyph: l for i"),
    ("quilon.example", QU, "typo: omission (7-char label)"),
    ("quillon.test", QU, "TLD swap"),
    ("quillon-analytics.test", QU, "cousin: vendor's full name as a domain on another TLD"),
    ("quillonanalytics-login.example", QU, "combosquat on brand name Quillon Analytics + login"),
    ("quillon-dashboard.example", QU, "combosquat: + dashboard"),
    (idn(f"quill{CYR_O}n.example"), QU, f"IDN homoglyph: Cyrillic o (quill{CYR_O}n)"),
]

NO = [
    # the protected domains themselves and their own subdomains
    (O, O, "the organisation's own domain"),
    (O2, O2, "the organisation's own short domain"),
    ("mail.northwind-health.example", O, "own subdomain"),
    ("intranet.northwind-health.example", O, "own subdomain"),
    ("portal.bluepeak-ms.example", BP, "vendor's own subdomain"),
    ("status.bluepeak-ms.example", BP, "vendor's own subdomain"),
    ("support.kestrelid.test", KE, "vendor's own subdomain"),
    ("docs.kestrelid.test", KE, "vendor's own subdomain"),
    ("news.clairtel.example", CT, "vendor's own subdomain"),
    ("mail.druckwerk.test", DW, "vendor's own subdomain"),
    (AT, AT, "vendor's own domain"),
    ("portal.atalaya-soluciones.example", AT, "vendor's own subdomain"),
    ("sftp.quillon.example", QU, "vendor's own subdomain"),
    ("mx1.ledgerline.example", LL, "vendor's own subdomain"),
    # unrelated organisations with a shared word or a similar look
    ("northgate-dental.example", O, "unrelated clinic sharing 'north'"),
    ("westwind-logistics.test", O, "unrelated company sharing 'wind'"),
    ("northwood-school.example", O, "unrelated school"),
    ("northern-healthcare.test", O, "unrelated healthcare provider, different words"),
    ("healthit-weekly.example", O, "unrelated newsletter sharing 'health'"),
    ("nordic-ehealth-summit.example", O, "unrelated conference"),
    ("southwind-hotels.example", O, "unrelated hotel chain"),
    ("nwa-freight.test", O2, "short unrelated domain plus a word"),
    ("ibm.test", O2, "short unrelated domain"),
    ("bbc.example", O2, "short unrelated domain"),
    ("nhs.example", O2, "short unrelated domain, different letters"),
    ("bluepoint-catering.example", BP, "unrelated caterer sharing 'blue'"),
    ("bluesky-ms.example", BP, "unrelated company, different brand word"),
    ("peakfitness.test", BP, "unrelated gym sharing 'peak'"),
    ("kestrel-aviation.example", KE, "unrelated air-ambulance operator sharing 'kestrel'"),
    ("kestrelbirdtrust.test", KE, "unrelated charity"),
    ("falconid.test", KE, "unrelated identity company, different bird"),
    ("ledger-lane.example", LL, "unrelated bookshop"),
    ("ledgerwise.test", LL, "unrelated accounting startup sharing 'ledger'"),
    ("lineworks.example", LL, "unrelated"),
    ("halvorsenlaw.example", HV, "unrelated law firm sharing the surname"),
    ("imaging-society.example", HV, "unrelated professional society"),
    ("druckerei-weber.test", DW, "unrelated German print shop"),
    ("feuerwerk.test", DW, "unrelated German word, -werk suffix"),
    ("clarity-telecom.example", CT, "unrelated telecom"),
    ("clairvoyance.test", CT, "unrelated word sharing 'clair'"),
    ("hotel-atalaya.example", AT, "unrelated Spanish hotel named Atalaya (a common word)"),
    ("soluciones-garcia.example", AT, "unrelated Spanish company sharing 'soluciones'"),
    ("corvus-analytics.test", CV, "unrelated, different Latin bird name"),
    ("quillfeather-press.test", QU, "unrelated publisher sharing 'quill'"),
    ("quill.example", QU, "short unrelated word"),
    ("gmail.com", O, "free-mail provider"),
    ("outlook.com", O, "free-mail provider"),
    ("healthit-forum.example", O, "the trusted forwarder's domain"),
    ("example.org", O, "unrelated"),
]


def render():
    out = ["# Labelled lookalike pairs for the Countersign evaluation set (generated by eval/generate.py).",
           "# candidate <TAB> protected <TAB> expected (yes|no) <TAB> technique or note",
           "# Protected identities: eval/directory.json (organisation + vendors, domains and names).",
           "# 'yes': must be reported with the protected identity as target; 'no': must not be reported."]
    for cand, prot, note in YES:
        out.append(f"{cand}\t{prot}\tyes\t{note}")
    for cand, prot, note in NO:
        out.append(f"{cand}\t{prot}\tno\t{note}")
    return "\n".join(out) + "\n"
