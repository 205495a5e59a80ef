"""The evaluation set's world (organisation, vendors, zone) and its messages.

Imported by generate.py. Every message is written out by hand: wording,
people, languages and formats vary on purpose. Labels are what the DEFAULT
policy's documented intent gives (see README.md in this directory).
"""
from generate import build, dkim_sign, arc_forward

ORG = "northwind-health.example"
ORG2 = "nwh.example"
SD = "Northwind IT Service Desk <servicedesk@northwind-health.example>"
NOW = "2026-11-24T08:00:00Z"

# ------------------------------------------------------------ the directory

STAFF = [
    ("S-1001", "Marta Kowalczyk", "marta.kowalczyk", "+442079460101", "service desk analyst", "IT Service Desk"),
    ("S-1002", "Daniel Okoye", "daniel.okoye", "+442079460102", "security administrator", "IT Security"),
    ("S-1003", "Hannah Lindqvist", "hannah.lindqvist", "+442079460103", "service desk lead", "IT Service Desk"),
    ("S-1004", "Rafael Domínguez", "rafael.dominguez", "+442079460104", "endpoint engineer", "IT Operations"),
    ("S-1005", "Claire Fontaine", "claire.fontaine", "+442079460105", "identity and access engineer", "IT Security"),
    ("S-1006", "Tobias Brandt", "tobias.brandt", "+442079460106", "network engineer", "IT Operations"),
    ("S-1007", "Greta Sørensen", "greta.sorensen", "+442079460107", "vendor relationship manager", "IT Vendor Management"),
    ("S-1008", "Yusuf Demir", "yusuf.demir", "+442079460108", "security administrator", "IT Security"),
]
EMPLOYEES = [
    ("E-3001", "Priya Nair", "priya.nair", "+442079460201", "E-3000"),
    ("E-3002", "Jonas Weber", "jonas.weber", "+442079460202", "E-3000"),
    ("E-3003", "Amélie Rousseau", "amelie.rousseau", "+442079460203", "E-3010"),
    ("E-3004", "Lucía Herrera", "lucia.herrera", "+442079460204", "E-3010"),
    ("E-3005", "Graham McAllister", "graham.mcallister", "+442079460205", "E-3000"),
    ("E-3006", "Wei Chen", "wei.chen", "+442079460206", "E-3010"),
    ("E-3007", "Fatima Al-Sayed", "fatima.alsayed", "+442079460207", "E-3000"),
    ("E-3008", "Oskar Nilsson", "oskar.nilsson", "+442079460208", "E-3010"),
    ("E-3009", "Beatriz Santos", "beatriz.santos", "+442079460209", "E-3010"),
    ("E-3010", "Kwame Mensah", "kwame.mensah", "+442079460210", "E-3000"),
    ("E-3000", "Eleanor Whitcombe", "eleanor.whitcombe", "+442079460200", None),
]

# id, name, domains, privileged, status, last_reviewed, review_due, ip, dmarc, selectors
VENDORS = [
    ("bluepeak", "Bluepeak Managed Services", ["bluepeak-ms.example"], True, "active",
     "2026-10-05T09:00:00Z", "2027-01-03T09:00:00Z", "198.51.100.10", "reject", (("bp2026", "rsa"),)),
    ("kestrel", "Kestrel Identity", ["kestrelid.test"], True, "active",
     "2026-09-30T09:00:00Z", "2026-12-29T09:00:00Z", "198.51.100.20", "reject", (("ed1", "ed25519"), ("rsa1", "rsa"))),
    ("ledgerline", "Ledgerline Payroll", ["ledgerline.example"], False, "active",
     "2026-10-20T09:00:00Z", "2027-01-18T09:00:00Z", "198.51.100.30", "none", (("mta", "rsa"),)),
    ("halvorsen", "Halvorsen Medical Imaging", ["halvorsen-imaging.example"], True, "active",
     "2026-11-01T09:00:00Z", "2027-01-30T09:00:00Z", "198.51.100.40", "quarantine", (("sel1", "rsa"),)),
    ("druckwerk", "Druckwerk Solutions", ["druckwerk.test"], False, "active",
     "2026-10-12T09:00:00Z", "2027-01-10T09:00:00Z", "198.51.100.50", "quarantine", (("dw1", "rsa"),)),
    ("clairtel", "Clairtel Télécom", ["clairtel.example"], False, "active",
     "2026-10-28T09:00:00Z", "2027-01-26T09:00:00Z", "198.51.100.60", "none", (("ed", "ed25519"),)),
    ("atalaya", "Atalaya Soluciones", ["atalaya-soluciones.example"], True, "active",
     "2026-11-10T09:00:00Z", "2027-02-08T09:00:00Z", "198.51.100.70", "reject", (("s2026", "rsa"),)),
    ("corvid", "Corvid Networks", ["corvidnet.test"], True, "active",
     "2026-06-01T09:00:00Z", "2026-08-30T09:00:00Z", "198.51.100.80", "none", (("cn", "rsa"),)),
    ("fernhill", "Fernhill Office Supplies", ["fernhill-supplies.example"], False, "suspended",
     "2026-09-01T09:00:00Z", "2026-11-30T09:00:00Z", "198.51.100.90", "quarantine", (("fh", "rsa"),)),
    ("quillon", "Quillon Analytics", ["quillon.example"], False, "active",
     "2026-10-01T09:00:00Z", "2026-12-30T09:00:00Z", "198.51.100.100", "quarantine", (("q1", "rsa"), ("q2", "ed25519"))),
]
VDOM = {v[0]: v[2][0] for v in VENDORS}

# vendor, name, email local part, phones, role, status
CONTACTS = [
    ("bluepeak", "Ines Carvalho", "ines.carvalho", ["+15555550141"], "account manager", "active"),
    ("bluepeak", "Marcus Feld", "marcus.feld", ["+15555550142"], "NOC lead", "active"),
    ("bluepeak", "Rupert Gaines", "rupert.gaines", ["+15555550143"], "field engineer", "departed"),
    ("kestrel", "Aiko Tanaka", "aiko.tanaka", ["+15555550151"], "customer success manager", "active"),
    ("kestrel", "Ben Hollis", "ben.hollis", ["+15555550152"], "support engineer", "active"),
    ("ledgerline", "Sophie Marchetti", "sophie.marchetti", ["+442079460301"], "billing specialist", "active"),
    ("ledgerline", "Callum Reid", "callum.reid", ["+442079460302"], "implementation consultant", "active"),
    ("halvorsen", "Sigrid Aas", "sigrid.aas", ["+4723456781"], "field service engineer", "active"),
    ("halvorsen", "Lars Moe", "lars.moe", ["+4723456782"], "service manager", "active"),
    ("druckwerk", "Jürgen Albrecht", "j.albrecht", ["+493012345671"], "Kundenbetreuer", "active"),
    ("druckwerk", "Katrin Vogel", "k.vogel", ["+493012345672"], "Servicetechnikerin", "active"),
    ("druckwerk", "Stefan Kühn", "s.kuehn", ["+493012345673"], "Vertrieb", "departed"),
    ("clairtel", "Céline Moreau", "celine.moreau", ["+33199000101"], "responsable de compte", "active"),
    ("clairtel", "Antoine Girard", "antoine.girard", ["+33199000102"], "ingénieur support", "active"),
    ("atalaya", "Javier Ortega", "javier.ortega", ["+34910000101"], "jefe de proyecto", "active"),
    ("atalaya", "Nuria Ibáñez", "nuria.ibanez", ["+34910000102", "+34600000102"], "técnica de soporte", "active"),
    ("corvid", "Nadia Petrova", "nadia.petrova", ["+15555550181"], "account executive", "active"),
    ("fernhill", "Tom Ashdown", "tom.ashdown", ["+442079460391"], "key account manager", "active"),
    ("quillon", "Priyanka Desai", "priyanka.desai", ["+15555550191"], "solutions architect", "active"),
    ("quillon", "Owen Gallagher", "owen.gallagher", ["+15555550192"], "account manager", "active"),
]

TRUSTED_LISTS = ["lists.healthit-forum.example", "groups.regional-ict.test"]
UNTRUSTED_LIST = "lists.openmail-forum.example"


def contact(vendor, local):
    return f"{local}@{VDOM[vendor]}"


def cname(vendor, local):
    for v, name, loc, *_ in CONTACTS:
        if v == vendor and loc == local:
            return name
    raise KeyError(local)


def setup_zone_and_directory(zone):
    import base64
    import nacl.signing
    # the organisation: two domains, RSA on the main one, Ed25519 on the short one
    zone.domain(ORG, ["192.0.2.10", "192.0.2.11"], "reject", (("nw2026", "rsa"),), comment="organisation")
    zone.domain(ORG2, "192.0.2.12", "reject", (("ed1", "ed25519"), ("rsa1", "rsa")), comment="organisation (short)")
    for vid, name, doms, _p, _s, _l, _r, ip, dmarc, sels in VENDORS:
        zone.domain(doms[0], ip, dmarc, sels, comment=f"vendor {name}")
    # vendor subdomains that send on their own
    zone.domain("status.bluepeak-ms.example", "198.51.100.11", None, (("st", "rsa"),), comment="vendor subdomain")
    zone.domain("news.clairtel.example", "198.51.100.61", None, (("nl", "rsa"),), comment="vendor subdomain")
    # forwarders
    for i, lst in enumerate(TRUSTED_LISTS + [UNTRUSTED_LIST]):
        zone.domain(lst, f"198.51.100.{200 + 10 * i}", "none", (("list", "rsa"),), comment="mailing list")

    keys = []
    for vid in ("bluepeak", "kestrel", "halvorsen", "atalaya", "corvid"):
        vk = nacl.signing.SigningKey.generate().verify_key
        keys.append({"key_id": (vid + "0000000000000000")[:16].encode().hex()[:16], "vendor": vid,
                     "public_key": base64.b64encode(bytes(vk)).decode(),
                     "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-06-30T00:00:00Z",
                     "revoked_at": None, "revoked_reason": None})
    return {
        "format": "countersign-directory/1",
        "exported_at": NOW,
        "organisation": {"name": "Northwind Health", "domains": [ORG, ORG2], "review_interval_days": 90},
        "vendors": [
            {"id": vid, "name": name, "domains": doms, "privileged": p, "relationship_manager": "S-1007",
             "status": status, "last_reviewed_at": last, "review_due": due}
            for vid, name, doms, p, status, last, due, *_ in VENDORS
        ],
        "contacts": [
            {"vendor": v, "name": n, "email": contact(v, loc), "phones": ph, "role": role, "status": st}
            for v, n, loc, ph, role, st in CONTACTS
        ],
        "staff": [
            {"staff_id": sid, "name": n, "photo": f"https://intranet.{ORG}/people/{sid}.jpg",
             "email": f"{loc}@{ORG}", "phone": ph, "role": role, "team": team, "status": "active"}
            for sid, n, loc, ph, role, team in STAFF
        ],
        "employees": [
            {"id": eid, "name": n, "email": f"{loc}@{ORG}", "phone": ph, **({"manager": m} if m else {}),
             "status": "active"}
            for eid, n, loc, ph, m in EMPLOYEES
        ],
        "keys": keys,
        "forwarders": [
            {"domain": TRUSTED_LISTS[0], "description": "Health IT peer forum (ARC-sealing list)"},
            {"domain": TRUSTED_LISTS[1], "description": "Regional ICT managers' group"},
        ],
    }


# ------------------------------------------------------------ sending helper

class Sender:
    def __init__(self, corpus, zone):
        self.c = corpus
        self.z = zone

    def send(self, slug, cat, verdict, note, lang, frm, subject, text=None, html=None, *,
             to=SD, controls=None, sign=True, ip=None, helo=None, mail_from=None, raw_hook=None,
             **kw):
        """Builds, signs and records one message.

        sign: True (the From domain, first selector), False, a domain name,
        or a list of (domain, selector)."""
        n = self.c.next_n
        addr = frm[1]
        dom = addr.rsplit("@", 1)[1].lower()
        raw = build(n, frm, to, subject, text, html, lang=lang, **kw)
        if raw_hook:
            raw = raw_hook(raw)
        if sign is True:
            raw = dkim_sign(raw, dom)
        elif isinstance(sign, str):
            raw = dkim_sign(raw, sign)
        elif isinstance(sign, list):
            for d, sel in sign:
                raw = dkim_sign(raw, d, sel)
        info = self.z.domains.get(dom)
        ip = ip or (info["ip"] if info else "203.0.113.250")
        helo = helo or f"mail.{dom}"
        mail_from = addr if mail_from is None else mail_from
        return self.c.add(slug, cat, verdict, note, raw, ip, helo, mail_from, lang, controls=controls)


# ------------------------------------------------------------ messages

def write_messages(corpus, zone):
    s = Sender(corpus, zone)
    import scenarios_msgs
    scenarios_msgs.write_all(s, zone)


def lookalike_pairs_tsv():
    import scenarios_pairs
    return scenarios_pairs.render()
