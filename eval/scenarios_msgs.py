"""Every message of the evaluation set, written by hand. See scenarios.py."""
from scenarios import ORG, ORG2, SD, VDOM, contact, cname, TRUSTED_LISTS, UNTRUSTED_LIST
from generate import build, dkim_sign, arc_forward, crlf

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
H = ["callback", "one_time_code"]
HP = ["callback", "one_time_code", "vendor_signature", "dual_approval"]


def html_of(paras, sig=None, color="#1f4e79"):
    body = "".join(f"<p>{p}</p>\n" for p in paras)
    if sig:
        body += f'<p style="color:#666;font-size:12px">{sig}</p>\n'
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
            f"<body style=\"font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#222\">\n"
            f"<div style=\"border-top:4px solid {color};padding-top:8px\">\n{body}</div>\n</body></html>\n")


def V(vendor, local):
    return (cname(vendor, local), contact(vendor, local))


def staff(name, local):
    return (name, f"{local}@{ORG}")


def write_all(s, z):
    vendor_benign(s, z)
    internal_benign(s, z)
    vendor_high_risk(s, z)
    privileged_access(s, z)
    vendor_unapproved(s, z)
    internal_high_risk(s, z)
    spoofed(s, z)
    lookalike_senders(s, z)
    replyto_link_lookalikes(s, z)
    display_names(s, z)
    lures(s, z)
    forwarded(s, z)
    malformed(s, z)
    near_misses(s, z)
    hard_cases(s, z)


# =========================================================== vendor, benign
def vendor_benign(s, z):
    cat = "vendor_benign"
    s.send("bluepeak-maintenance", cat, "deliver", "approved contact, maintenance notice, RSA DKIM, p=reject vendor", "en",
           V("bluepeak", "marcus.feld"), "Planned maintenance: core switches, Sat 28 Nov 22:00-23:30 GMT",
           """Hi all,

As agreed in change CHG-20931, our NOC will replace the supervisor modules in
the two core switches at the Leeds data centre on Saturday 28 November between
22:00 and 23:30 GMT. Traffic fails over to the standby chassis, so we expect
no more than a few seconds of packet loss per module.

Nothing is needed from the Northwind side. We will post progress in the
shared Teams channel and close the change once the post-checks are green.

Kind regards,
Marcus Feld
NOC Lead | Bluepeak Managed Services
""")
    s.send("bluepeak-qbr-followup", cat, "deliver", "approved contact, meeting follow-up, HTML+plain, link to vendor subdomain portal", "en",
           V("bluepeak", "ines.carvalho"), "Follow-up: quarterly business review, 19 November",
           """Hello Greta, hello Hannah,

thank you both for the time on Thursday. As promised, the summary:

  1. Service levels: 99.97% availability for the quarter, two P2 incidents,
     both closed within target.
  2. The backup retention change (35 -> 90 days) is scheduled for January.
  3. You asked for a cost estimate for the Wi-Fi refresh at the Harrogate
     clinic; Marcus will send it by the end of next week.

The slides are on the customer portal:
https://portal.bluepeak-ms.example/customers/northwind/qbr-2026-q4

Best regards,
Ines Carvalho
Account Manager, Bluepeak Managed Services
""",
           html_of(["Hello Greta, hello Hannah,", "thank you both for the time on Thursday. As promised, the summary:",
                    "<ol><li>Service levels: 99.97% availability for the quarter, two P2 incidents, both closed within target.</li>"
                    "<li>The backup retention change (35 &rarr; 90 days) is scheduled for January.</li>"
                    "<li>You asked for a cost estimate for the Wi-Fi refresh at the Harrogate clinic; Marcus will send it by the end of next week.</li></ol>",
                    'The slides are on the <a href="https://portal.bluepeak-ms.example/customers/northwind/qbr-2026-q4">customer portal</a>.'],
                   "Ines Carvalho &middot; Account Manager, Bluepeak Managed Services"))
    s.send("kestrel-ticket-update", cat, "deliver", "approved contact, ticket update, Ed25519 + RSA DKIM", "en",
           V("kestrel", "ben.hollis"), "[KID-48812] SAML assertion clock skew - resolved",
           """Hello Northwind team,

Case KID-48812 ("intermittent SAML errors for the rostering app") is resolved.
The cause was a 4-minute clock drift on one of our edge nodes in the EU-West
region; NTP has been corrected and we added monitoring so that it alerts at
30 seconds of drift.

Your users should not see the "assertion not yet valid" error any more. If
it comes back, reply to this case and it reopens automatically.

Ben Hollis
Support Engineer, Kestrel Identity
""", sign=[("kestrelid.test", "ed1"), ("kestrelid.test", "rsa1")])
    s.send("kestrel-release-notes", cat, "deliver", "approved contact, release notes, HTML only, Ed25519 DKIM", "en",
           V("kestrel", "aiko.tanaka"), "Kestrel Identity - December release highlights",
           html=html_of(["Hi Northwind Health team,",
                         "Here is what ships to your tenant on 9 December:",
                         "<ul><li>Conditional access: named locations can now use country groups.</li>"
                         "<li>Audit export: the admin console can schedule a weekly CSV of sign-in events to your own SFTP target.</li>"
                         "<li>Passkeys: attestation details are shown on each registered authenticator.</li></ul>",
                         'Full notes: <a href="https://docs.kestrelid.test/release-notes/2026-12">docs.kestrelid.test/release-notes/2026-12</a>',
                         "As always, nothing changes for your users until your admins switch a feature on."],
                        "Aiko Tanaka, Customer Success Manager"), sign=[("kestrelid.test", "ed1")])
    s.send("ledgerline-invoice", cat, "deliver", "approved contact, invoice with unchanged bank details (guard phrase), PDF attachment", "en",
           V("ledgerline", "sophie.marchetti"), "Invoice LL-2026-1187 for November payroll services",
           """Dear Accounts Payable,

Please find attached invoice LL-2026-1187 for November payroll processing
(2,412 payslips, 3 off-cycle runs), GBP 14,870.40 including VAT.

Payment terms are 30 days as usual, and our bank details remain unchanged
from previous invoices.

With thanks,
Sophie Marchetti
Billing Specialist | Ledgerline Payroll Ltd
""", attachments=[("LL-2026-1187.pdf", "application/pdf", PDF)])
    s.send("ledgerline-implementation", cat, "deliver", "approved contact, project call notes, quoted-printable", "en",
           V("ledgerline", "callum.reid"), "Notes from Tuesday's pension auto-enrolment call",
           """Hi Priya,

Quick notes from Tuesday so everyone has the same picture:

• The new pension provider file format goes live with the January run.
• Ledgerline will run a parallel test on the December data; results on 14 Dec.
• Northwind to confirm the opt-out window wording with HR (owner: Priya).

Shout if I've missed anything.

Cheers,
Callum Reid
Implementation Consultant — Ledgerline Payroll
""", to=[("Priya Nair", f"priya.nair@{ORG}")], cte="quoted-printable")
    s.send("halvorsen-service-visit", cat, "deliver", "approved contact of privileged vendor, on-site visit notice with .ics", "en",
           V("halvorsen", "sigrid.aas"), "Preventive maintenance visit - MRI suite, Harrogate, 3 December",
           """Hello,

This is to confirm the preventive maintenance visit for the MR scanner at
the Harrogate clinic on Thursday 3 December, 08:00-14:00. I will be on site
with a colleague; we will sign in at reception as usual and will need the
scanner room only, not the reading workstations.

A calendar invitation is attached for the radiology coordinators.

Best regards,
Sigrid Aas
Field Service Engineer, Halvorsen Medical Imaging
""", attachments=[("visit-2026-12-03.ics", "text/calendar",
                   "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Halvorsen//Service//EN\r\nBEGIN:VEVENT\r\n"
                   "UID:pm-2026-12-03@halvorsen-imaging.example\r\nDTSTAMP:20261120T090000Z\r\n"
                   "DTSTART:20261203T080000Z\r\nDTEND:20261203T140000Z\r\nSUMMARY:MRI preventive maintenance\r\n"
                   "END:VEVENT\r\nEND:VCALENDAR\r\n")])
    s.send("quillon-report-ready", cat, "deliver", "approved contact, monthly report ready, Ed25519 second selector", "en",
           V("quillon", "priyanka.desai"), "Your October readmissions dashboard is ready",
           """Hi Wei,

The October refresh of the readmissions dashboard finished last night. Two
notes:

- We changed the risk model's calibration window from 12 to 18 months, as
  discussed; the methodology page explains the effect on the trend line.
- The Scarborough site's data arrived two days late, so its numbers are
  marked provisional until the November refresh.

You'll find it in the usual workspace.

Priyanka
Priyanka Desai | Solutions Architect | Quillon Analytics
""", to=[("Wei Chen", f"wei.chen@{ORG}")], sign=[("quillon.example", "q2")])
    s.send("quillon-renewal-quote", cat, "deliver", "approved contact, renewal quote (no payment change), base64 body", "en",
           V("quillon", "owen.gallagher"), "Renewal quote for 2027 (Quillon Analytics)",
           """Hello Greta,

Attached is the renewal quote for 2027. The per-seat price is unchanged; the
only new line is the additional workspace for the research team that Wei
asked about in September. The quote is valid until 31 January.

Happy to walk through it on a call whenever suits you.

Kind regards,
Owen Gallagher
Account Manager
""", cte="base64", attachments=[("Quillon-Renewal-2027.pdf", "application/pdf", PDF)])
    s.send("bluepeak-probe-patch-window", cat, "deliver",
           "PROBE: approved contact describes applying a patch in a maintenance window (no request, no pressure); "
           "'apply * patch' is a lure phrase in the rulebook", "en",
           V("bluepeak", "marcus.feld"), "Firewall firmware - change window confirmed",
           """Hello,

Confirming change CHG-21007: in Sunday's window (06:00-07:00 GMT) we will
apply the vendor's November patch to both perimeter firewalls, one node at a
time. The cluster stays up throughout; VPN users may need to reconnect once.

We will send the closure note with the post-change checks.

Regards,
Marcus
""")
    # German
    s.send("druckwerk-wartung", cat, "deliver", "approved contact, German maintenance notice, QP", "de",
           V("druckwerk", "k.vogel"), "Wartungstermin Multifunktionsgeräte Standort Leeds",
           """Guten Tag,

wie besprochen tauschen wir am Dienstag, 1. Dezember, ab 9:00 Uhr die
Fixiereinheiten der beiden Multifunktionsgeräte im 2. OG (Druckraum neben der
Apotheke). Die Arbeiten dauern etwa zwei Stunden; in dieser Zeit bitte die
Drucker im 1. OG verwenden.

Für Sie ist nichts weiter zu tun.

Mit freundlichen Grüßen
Katrin Vogel
Servicetechnikerin | Druckwerk Solutions GmbH
""", cte="quoted-printable")
    s.send("druckwerk-rechnung", cat, "deliver", "approved contact, German invoice, bank details explicitly unchanged (guard)", "de",
           V("druckwerk", "j.albrecht"), "Rechnung 2026-4471 – Seitenpreise Oktober",
           """Sehr geehrte Damen und Herren,

anbei erhalten Sie die Rechnung 2026-4471 über die Seitenpreise für Oktober
(148.233 Seiten s/w, 21.904 Seiten Farbe). Die Bankverbindung bleibt
unverändert.

Bei Fragen zur Abrechnung stehe ich Ihnen gern zur Verfügung.

Mit freundlichen Grüßen
Jürgen Albrecht
Kundenbetreuer
Druckwerk Solutions GmbH · Tel. +49 30 1234567-1
""", attachments=[("Rechnung-2026-4471.pdf", "application/pdf", PDF)])
    s.send("druckwerk-probe-fernwartung", cat, "deliver",
           "PROBE: German firmware-rollout notice mentioning that the vendor's usual remote maintenance access is used, "
           "explicitly no action for the customer; 'fernwartung' is a remote-access phrase", "de",
           V("druckwerk", "k.vogel"), "Firmware-Rollout für Ihre Drucker im Dezember",
           """Hallo zusammen,

kurze Info: Im Dezember verteilen wir die neue Firmware 4.12 auf alle
Druckwerk-Geräte in Ihren Kliniken. Die Verteilung läuft wie immer über
unsere Fernwartung nachts zwischen 1 und 4 Uhr; die Geräte starten danach
einmal neu. Von Ihrer Seite ist keine Mitwirkung nötig.

Viele Grüße
Katrin Vogel
""")
    s.send(
           "druckwerk-besprechung", cat, "deliver", "approved contact, German meeting follow-up, HTML alternative", "de",
           V("druckwerk", "j.albrecht"), "Protokoll unseres Jahresgesprächs",
           """Hallo Frau Sørensen,

vielen Dank für das angenehme Gespräch am Montag. Die vereinbarten Punkte:

- Vertragsverlängerung um 24 Monate zu unveränderten Konditionen
- Austausch von 12 Altgeräten im ersten Quartal
- Quartalsweise Auswertung des Tonerverbrauchs pro Standort

Den Vertragsentwurf schicke ich Ihnen bis Ende nächster Woche.

Beste Grüße
Jürgen Albrecht
""", html_of(["Hallo Frau Sørensen,", "vielen Dank für das angenehme Gespräch am Montag. Die vereinbarten Punkte:",
              "<ul><li>Vertragsverlängerung um 24 Monate zu unveränderten Konditionen</li>"
              "<li>Austausch von 12 Altgeräten im ersten Quartal</li>"
              "<li>Quartalsweise Auswertung des Tonerverbrauchs pro Standort</li></ul>",
              "Den Vertragsentwurf schicke ich Ihnen bis Ende nächster Woche."],
             "Jürgen Albrecht &middot; Druckwerk Solutions GmbH"),
           to=[("Greta Sørensen", f"greta.sorensen@{ORG}")])
    s.send("halvorsen-de-lieferung", cat, "deliver", "approved contact, German delivery notice from Norwegian vendor", "de",
           V("halvorsen", "lars.moe"), "Lieferung Ersatzteile Röntgenanlage – Lieferschein",
           """Guten Tag,

die bestellten Ersatzteile (Kollimator-Baugruppe, Teilenummer HMI-77120)
wurden heute versandt und treffen voraussichtlich am Donnerstag ein. Den
Lieferschein finden Sie im Anhang. Der Einbau erfolgt beim nächsten regulären
Servicebesuch.

Freundliche Grüße
Lars Moe
Service Manager, Halvorsen Medical Imaging
""", attachments=[("Lieferschein-88412.pdf", "application/pdf", PDF)], cte="base64")
    # French
    s.send("clairtel-maintenance", cat, "deliver", "approved contact, French maintenance notice, Ed25519 DKIM, p=none vendor", "fr",
           V("clairtel", "antoine.girard"), "Maintenance programmée de vos liens MPLS – nuit du 2 au 3 décembre",
           """Bonjour,

Dans le cadre de la modernisation de notre cœur de réseau, une maintenance
est programmée dans la nuit du 2 au 3 décembre entre 0h00 et 4h00. Vos sites
de Lille et de Rouen peuvent subir deux coupures de moins de cinq minutes
chacune. Aucune action n'est requise de votre part.

Référence de l'intervention : MNT-2026-11-0342.

Cordialement,
Antoine Girard
Ingénieur support – Clairtel Télécom
""", cte="quoted-printable")
    s.send("clairtel-facture", cat, "deliver", "approved contact, French invoice, RIB unchanged (guard), PDF", "fr",
           V("clairtel", "celine.moreau"), "Votre facture Clairtel de novembre",
           """Madame, Monsieur,

Veuillez trouver ci-joint la facture FC-2026-11-0871 relative à vos
abonnements de novembre (liens MPLS et téléphonie fixe), d'un montant de
6 482,15 € TTC. Le prélèvement interviendra le 10 décembre ; votre RIB reste
inchangé.

Nous vous remercions de votre confiance.

Céline Moreau
Responsable de compte – Clairtel Télécom
""", attachments=[("FC-2026-11-0871.pdf", "application/pdf", PDF)])
    s.send("clairtel-compte-rendu", cat, "deliver", "approved contact, French meeting minutes, HTML only", "fr",
           V("clairtel", "celine.moreau"), "Compte rendu – comité de pilotage du 18 novembre",
           html=html_of(["Bonjour à tous,", "Voici le compte rendu de notre comité de pilotage :",
                         "<ul><li>Migration SIP : 14 sites sur 17 sont basculés ; les trois derniers en janvier.</li>"
                         "<li>Qualité de service : un incident majeur (coupure fibre à Rouen, 3 h 10), rapport d'incident joint au ticket.</li>"
                         "<li>Prochain comité : 16 décembre, en visioconférence.</li></ul>",
                         "Bonne journée,"], "Céline Moreau, Clairtel Télécom"))
    s.send("clairtel-probe-des-que-possible", cat, "deliver",
           "PROBE: French ticket acknowledgement, vendor says it will come back 'dès que possible' about its own "
           "work (politeness, not pressure); an urgency phrase in the rulebook", "fr",
           V("clairtel", "antoine.girard"), "RE: [INC-88120] Grésillements sur les postes du standard",
           """Bonjour Madame Rousseau,

Nous avons bien reçu votre signalement concernant les grésillements sur les
postes du standard de Lille. Nos équipes analysent les traces SIP de cette
semaine et reviendront vers vous dès que possible avec un diagnostic.

Bien cordialement,
Antoine Girard
Clairtel Télécom
""", to=[("Amélie Rousseau", f"amelie.rousseau@{ORG}")])
    # Spanish
    s.send("atalaya-informe-copias", cat, "deliver", "approved contact of privileged vendor, Spanish monthly backup report", "es",
           V("atalaya", "nuria.ibanez"), "Informe mensual de copias de seguridad – noviembre",
           """Buenos días,

Les adjuntamos el informe mensual de copias de seguridad. En resumen:

- 1.284 trabajos ejecutados, 1.279 correctos y 5 con avisos (reintentados con éxito).
- Prueba de restauración trimestral del servidor de historias clínicas: correcta, 47 minutos.
- Ocupación del repositorio: 71 %.

Un saludo,
Nuria Ibáñez
Técnica de soporte · Atalaya Soluciones
""", attachments=[("informe-copias-2026-11.pdf", "application/pdf", PDF)], cte="quoted-printable")
    s.send("atalaya-reunion", cat, "deliver", "approved contact, Spanish meeting follow-up", "es",
           V("atalaya", "javier.ortega"), "Resumen de la reunión de seguimiento del proyecto de réplica",
           """Hola Lucía:

Gracias por la reunión de ayer. Te resumo los acuerdos:

1. La réplica al segundo centro de datos arrancará el 12 de enero.
2. Atalaya enviará el plan de pruebas de conmutación antes del 15 de diciembre.
3. Northwind revisará el ancho de banda del enlace entre centros con Clairtel.

Nos vemos en la próxima reunión.

Un abrazo,
Javier Ortega
Jefe de proyecto – Atalaya Soluciones
""", to=[("Lucía Herrera", f"lucia.herrera@{ORG}")], html=html_of(
               ["Hola Lucía:", "Gracias por la reunión de ayer. Te resumo los acuerdos:",
                "<ol><li>La réplica al segundo centro de datos arrancará el 12 de enero.</li>"
                "<li>Atalaya enviará el plan de pruebas de conmutación antes del 15 de diciembre.</li>"
                "<li>Northwind revisará el ancho de banda del enlace entre centros con Clairtel.</li></ol>",
                "Nos vemos en la próxima reunión."], "Javier Ortega &ndash; Atalaya Soluciones"))
    s.send("atalaya-factura", cat, "deliver", "approved contact, Spanish invoice, bank details unchanged (guard)", "es",
           V("atalaya", "javier.ortega"), "Factura AT-2026-0932 – servicio de copias gestionadas",
           """Estimados señores:

Adjuntamos la factura AT-2026-0932 correspondiente al servicio de copias
gestionadas de noviembre. Les recordamos que nuestros datos bancarios no han
cambiado.

Atentamente,
Javier Ortega
Atalaya Soluciones S.L.
""", attachments=[("AT-2026-0932.pdf", "application/pdf", PDF)])
    s.send("atalaya-probe-credenciales", cat, "deliver",
           "PROBE: Spanish portal migration notice stating that the customer's access credentials do NOT change "
           "(no request); 'credenciales de acceso' is a credential phrase in the rulebook", "es",
           V("atalaya", "nuria.ibanez"), "Migración del portal de clientes el 5 de diciembre",
           """Buenas tardes:

El sábado 5 de diciembre migraremos el portal de clientes a nuestra nueva
plataforma. La dirección seguirá siendo la misma y sus credenciales de acceso
no cambian. Durante la ventana (de 8:00 a 12:00) el portal no estará
disponible; las copias de seguridad continúan con normalidad.

Saludos cordiales,
Nuria Ibáñez
Atalaya Soluciones
""")


# =========================================================== internal, benign
def internal_benign(s, z):
    cat = "internal_benign"
    s.send("staff-outage-notice", cat, "deliver", "IT staff announces a planned outage to all staff, org DKIM RSA", "en",
           ("Northwind IT Service Desk", f"servicedesk@{ORG}"), "Planned outage: e-prescribing, Sunday 6 Dec 05:00-07:00",
           """Dear colleagues,

The e-prescribing system will be unavailable on Sunday 6 December from 05:00
to 07:00 while the supplier upgrades the database. Pharmacy has the paper
fallback forms; ward managers have been briefed.

Thank you for your patience.

Northwind IT Service Desk
Ext. 4000 | servicedesk@northwind-health.example
""", to=f"all-staff@{ORG}")
    s.send("staff-ticket-closed", cat, "deliver", "service desk analyst closes a ticket", "en",
           staff("Marta Kowalczyk", "marta.kowalczyk"), "INC0048213 resolved: second monitor flickering",
           """Hi Graham,

I swapped the DisplayPort cable on your second monitor this morning and it
has been stable for two hours, so I am closing INC0048213. If it starts
flickering again just reply and the ticket reopens.

Marta
IT Service Desk, Northwind Health
""", to=[("Graham McAllister", f"graham.mcallister@{ORG}")])
    s.send("employee-projector", cat, "deliver", "employee reports a broken projector (a request for help, not a high-risk one)", "en",
           ("Kwame Mensah", f"kwame.mensah@{ORG}"), "Projector in Boardroom B2 not working",
           """Hello Service Desk,

The projector in Boardroom B2 shows "no signal" whatever laptop we plug in.
We have the board meeting there on Thursday at 10:00, so it would be great if
someone could take a look before then.

Thanks,
Kwame
""")
    s.send("employee-thanks-de", cat, "deliver", "employee thanks IT, German, short domain nwh.example signed Ed25519", "de",
           ("Jonas Weber", f"jonas.weber@{ORG2}"), "Danke für die schnelle Hilfe",
           """Hallo Marta,

vielen Dank, der neue Laptop läuft einwandfrei und alle Daten sind da.
Schönes Wochenende!

Jonas
""", to=[("Marta Kowalczyk", f"marta.kowalczyk@{ORG}")], sign=[(ORG2, "ed1")])
    s.send("staff-change-advisory", cat, "deliver", "IT staff change advisory board agenda, HTML", "en",
           staff("Tobias Brandt", "tobias.brandt"), "CAB agenda - Wednesday 25 November",
           """Hi all,

Agenda for Wednesday's CAB:
  CHG-20931  Core switch supervisor replacement (Bluepeak) - normal
  CHG-20977  New SSID for the Harrogate clinic - normal
  CHG-21007  Perimeter firewall firmware - normal

Papers are on the CAB SharePoint page.

Tobias
""", html_of(["Hi all,", "Agenda for Wednesday's CAB:",
              "<table border=1 cellpadding=4><tr><td>CHG-20931</td><td>Core switch supervisor replacement (Bluepeak)</td></tr>"
              "<tr><td>CHG-20977</td><td>New SSID for the Harrogate clinic</td></tr>"
              "<tr><td>CHG-21007</td><td>Perimeter firewall firmware</td></tr></table>",
              "Papers are on the CAB SharePoint page."], "Tobias Brandt, Network Engineer"), to=f"cab@{ORG}")
    s.send("employee-fr-question", cat, "deliver", "employee asks where a guide is, French", "fr",
           ("Amélie Rousseau", f"amelie.rousseau@{ORG}"), "Question : guide de la nouvelle imprimante",
           """Bonjour,

Où puis-je trouver le guide d'utilisation de la nouvelle imprimante du
deuxième étage ? Je voudrais savoir comment imprimer en recto verso par
défaut.

Merci d'avance,
Amélie
""")
    s.send("employee-es-gracias", cat, "deliver", "employee, Spanish, follow-up on a solved ticket", "es",
           ("Beatriz Santos", f"beatriz.santos@{ORG}"), "Re: INC0048390 teclado",
           """Hola:

Confirmo que el teclado nuevo funciona bien. Podéis cerrar la incidencia.

Gracias,
Beatriz
""")
    s.send("staff-training", cat, "deliver", "security admin announces phishing awareness session (mentions passwords in a guard sentence)", "en",
           staff("Daniel Okoye", "daniel.okoye"), "Lunch & learn: spotting help-desk scams",
           """Hello everyone,

Join us on 10 December, 12:30 in the canteen, for a 30-minute session on
help-desk scams: fake IT callers, "free upgrades" and gift-card surveys. Remember:
the service desk will never ask for your password, and we always call you
back on the number in the staff directory.

Sandwiches provided.

Daniel Okoye
IT Security
""", to=f"all-staff@{ORG}")
    s.send("staff-probe-rdg-outage", cat, "deliver",
           "PROBE: staff outage notice for the Remote Desktop gateway (a system's name, no request); "
           "'remote desktop' is a remote-access phrase", "en",
           staff("Rafael Domínguez", "rafael.dominguez"), "Remote Desktop gateway offline Saturday morning",
           """Hi all,

The Remote Desktop gateway (rdg.northwind-health.example) will be offline on
Saturday from 07:00 to 09:00 for certificate renewal. Staff working from home
during that window can use the web portal for e-mail and Teams.

Rafael
IT Operations
""", to=f"it-announce@{ORG}")
    s.send("employee-meeting-room", cat, "deliver", "employee forwards a room booking question (plain, multipart with image)", "en",
           ("Fatima Al-Sayed", f"fatima.alsayed@{ORG}"), "Screen in Clinic Room 4",
           """Hi,

The wall screen in Clinic Room 4 has a crack in the lower corner (photo
attached). It still works but the cleaning team noticed it. Could someone
log it for replacement?

Fatima
""", attachments=[("room4-screen.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(64)))])


# =========================================================== vendor, high-risk
def vendor_high_risk(s, z):
    cat = "vendor_high_risk"
    s.send("ledgerline-bank-change", cat, "hold", "approved contact (possibly compromised mailbox) announces new bank details", "en",
           V("ledgerline", "sophie.marchetti"), "Updated remittance details from 1 December",
           """Dear Accounts Payable,

Following the migration of our treasury to a new bank, please note our new
bank details, effective for all invoices paid from 1 December:

  Account name: Ledgerline Payroll Ltd
  Sort code:    40-11-62
  Account:      71829304

Please update your supplier record and confirm once done.

Kind regards,
Sophie Marchetti
""", controls=H)
    s.send("quillon-export", cat, "hold", "approved contact asks for a data export of patient encounters (non-privileged vendor)", "en",
           V("quillon", "owen.gallagher"), "Data request for the model retraining",
           """Hi Wei,

For the model retraining next month, could your team export the full patient
encounter table for 2024-2026 from the warehouse and send it over to our
SFTP? A full export including the demographics columns would save us a lot of
matching work.

Thanks!
Owen
""", to=[("Wei Chen", f"wei.chen@{ORG}")], controls=H)
    s.send("kestrel-password-reset", cat, "hold", "privileged vendor contact asks to reset a user's password (credential reset, not access)", "en",
           V("kestrel", "ben.hollis"), "[KID-49020] Service account password",
           """Hello,

While troubleshooting case KID-49020 we found the directory sync service
account is failing to bind. Could you reset the password for svc-kestrel-sync
and paste the new one into the case? We will update the connector on our side.

Ben Hollis
Support Engineer, Kestrel Identity
""", sign=[("kestrelid.test", "rsa1")], controls=H)
    s.send("druckwerk-install-de", cat, "hold", "approved German contact asks to install a driver package on all PCs", "de",
           V("druckwerk", "k.vogel"), "Neuer Druckertreiber für alle Arbeitsplätze",
           """Hallo,

für die neuen Farbgeräte benötigen Ihre Arbeitsplätze den aktuellen
Treiber. Bitte installieren Sie das Paket DW-Universal-5.3.msi auf allen
Rechnern; den Download-Link schicke ich separat.

Danke und Gruß
Katrin Vogel
""", controls=H)
    s.send("druckwerk-bank-de", cat, "hold", "approved German contact announces new bank account (payment change)", "de",
           V("druckwerk", "j.albrecht"), "Neue Bankverbindung ab Januar",
           """Sehr geehrte Damen und Herren,

aufgrund einer Umstellung bei unserer Hausbank bitten wir Sie, Zahlungen ab
dem 1. Januar auf unser neues Konto zu überweisen:

IBAN: DE89 3704 0044 0532 0130 00
BIC:  COBADEFFXXX

Bitte passen Sie die neue Bankverbindung in Ihrem System an.

Mit freundlichen Grüßen
Jürgen Albrecht
""", controls=H)
    s.send("clairtel-mfa-fr", cat, "hold", "approved French contact asks to reset MFA for their portal admin account", "fr",
           V("clairtel", "antoine.girard"), "Réinitialisation MFA de notre compte technique",
           """Bonjour,

Notre technicien a changé de téléphone et ne peut plus se connecter à votre
portail fournisseurs. Pourriez-vous réinitialiser la double authentification
du compte clairtel-support afin qu'il puisse enregistrer son nouvel appareil ?

Merci d'avance,
Antoine Girard
""", controls=H)
    s.send("clairtel-rib-fr", cat, "hold", "approved French contact sends a new RIB", "fr",
           V("clairtel", "celine.moreau"), "Changement de coordonnées bancaires",
           """Madame, Monsieur,

Nous vous informons d'un changement de coordonnées bancaires. Vous trouverez
ci-joint notre nouveau RIB, à utiliser pour le règlement de toutes les
factures à partir de décembre.

Cordialement,
Céline Moreau
""", attachments=[("RIB-Clairtel-2026.pdf", "application/pdf", PDF)], controls=H)
    s.send("atalaya-export-es", cat, "hold", "approved Spanish contact asks for a copy of the database (data export) - privileged vendor but not access", "es",
           V("atalaya", "nuria.ibanez"), "Copia de la base de datos para pruebas de restauración",
           """Hola:

Para preparar la prueba de restauración del trimestre necesitaríamos una
copia de la base de datos de citas en producción. ¿Podrían dejarla en la
carpeta compartida del proyecto?

Gracias,
Nuria
""", controls=H)
    s.send("ledgerline-payroll-es", cat, "hold", "approved contact writes in Spanish asking an employee to update direct deposit / payroll account", "es",
           V("ledgerline", "callum.reid"), "Actualización de su cuenta de nómina",
           """Hola Lucía:

Hemos detectado que su cuenta de nómina necesita verificarse antes del
cierre de diciembre. Por favor, envíenos los nuevos datos bancarios para
actualizar el registro.

Saludos,
Callum Reid
""", to=[("Lucía Herrera", f"lucia.herrera@{ORG}")], controls=H)
    s.send("quillon-software", cat, "hold", "approved contact asks to install their data-collector agent (software install)", "en",
           V("quillon", "priyanka.desai"), "Collector agent for the new data feed",
           """Hi Wei,

To start pulling the theatre-utilisation feed we need our collector agent on
one of your integration servers. Please install the attached agent on
INT-APP-03 and let me know when it is running; it phones home on 443 only.

Thanks,
Priyanka
""", to=[("Wei Chen", f"wei.chen@{ORG}")], attachments=[("quillon-collector-2.8.zip", "application/zip", b"PK\x03\x04" + bytes(40))],
           controls=H)


# =========================================================== privileged vendor asking for access
def privileged_access(s, z):
    cat = "privileged_vendor_access"
    s.send("bluepeak-admin-rights", cat, "hold", "privileged vendor contact asks for domain admin rights for an engineer", "en",
           V("bluepeak", "marcus.feld"), "Access for our new engineer",
           """Hello,

Our engineer Priit Tamm joins the Northwind account from Monday. Could you
please add his account nw-ptamm to the Domain Admins group so he can take
over the patching rota? He has completed your induction.

Thanks,
Marcus
""", controls=HP)
    s.send("bluepeak-remote-session", cat, "hold", "privileged vendor asks to accept a remote session (ScreenConnect) on a server", "en",
           V("bluepeak", "ines.carvalho"), "Remote session to the file server tonight",
           """Hi Hannah,

To investigate the slow DFS replication we'd like to start a ScreenConnect
session on FS-LDS-01 tonight at 20:00. Could someone on your side accept the
connection when the prompt appears?

Thanks,
Ines
""", to=[("Hannah Lindqvist", f"hannah.lindqvist@{ORG}")], controls=HP)
    s.send("halvorsen-vpn-access", cat, "hold", "privileged imaging vendor asks for VPN access and admin rights on PACS", "en",
           V("halvorsen", "lars.moe"), "VPN access for PACS upgrade",
           """Hello,

For the PACS 9.2 upgrade in December our engineers need VPN access for two
named accounts and local admin on the three PACS application servers for the
duration of the project (7-18 December). Details in the attached form.

Best regards,
Lars Moe
Service Manager
""", attachments=[("access-request-PACS92.pdf", "application/pdf", PDF)], controls=HP)
    s.send("kestrel-global-admin", cat, "hold", "privileged IAM vendor asks to be made global admin, Ed25519 signed", "en",
           V("kestrel", "aiko.tanaka"), "Temporary global admin for the tenant migration",
           """Hi Claire,

For the tenant-to-tenant migration next week our engineer needs global admin
on the Northwind tenant for 48 hours. Could you grant access to
aiko.tanaka@kestrelid.test and remove it again on Friday?

Thanks,
Aiko
""", to=[("Claire Fontaine", f"claire.fontaine@{ORG}")], sign=[("kestrelid.test", "ed1")], controls=HP)
    s.send("atalaya-acceso-es", cat, "hold", "privileged Spanish vendor asks for administrator rights and remote access", "es",
           V("atalaya", "javier.ortega"), "Acceso para la migración del servidor de copias",
           """Hola Lucía:

Para migrar el servidor de copias necesitamos acceso remoto al servidor
BKP-02 y permisos de administrador en la consola de la cabina durante el fin
de semana del 12 y 13 de diciembre. ¿Nos lo podéis habilitar?

Gracias,
Javier
""", to=[("Lucía Herrera", f"lucia.herrera@{ORG}")], controls=HP)
    s.send("halvorsen-fernwartung-de", cat, "hold", "privileged vendor, German, asks to allow a remote maintenance session", "de",
           V("halvorsen", "sigrid.aas"), "Fernwartungssitzung CT-Scanner Leeds",
           """Guten Tag,

für die Fehleranalyse am CT-Scanner in Leeds möchten wir morgen um 10 Uhr
eine Fernwartungssitzung aufbauen. Bitte geben Sie uns Zugriff auf die
Konsole frei und bestätigen Sie die Verbindung am Gerät.

Freundliche Grüße
Sigrid Aas
""", controls=HP)


# =========================================================== vendor domain, not an approved contact
def vendor_unapproved(s, z):
    cat = "vendor_unapproved_contact"
    s.send("bluepeak-new-person", cat, "deliver", "authenticated vendor domain, new person not in the directory, benign intro: nothing to verify until it asks for something", "en",
           ("Priit Tamm", "priit.tamm@bluepeak-ms.example"), "Introduction - your new Bluepeak engineer",
           """Hello Northwind team,

I'm Priit, I joined Bluepeak last month and will be covering the Northwind
account with Marcus from next week. Looking forward to working with you.

Best,
Priit Tamm
Systems Engineer, Bluepeak Managed Services
""", controls=["callback"])
    s.send("bluepeak-departed-contact", cat, "hold", "departed contact (status departed) writes from his old vendor address", "en",
           V("bluepeak", "rupert.gaines"), "Checking in",
           """Hi Hannah,

Hope all is well. Just checking in on how the new switches are behaving
since the refresh. Let me know if there's anything I can look at.

Rupert
""", to=[("Hannah Lindqvist", f"hannah.lindqvist@{ORG}")], controls=["callback"])
    s.send("druckwerk-departed-bank-de", cat, "hold", "departed German contact asks to change bank details (unapproved + request)", "de",
           V("druckwerk", "s.kuehn"), "Änderung unserer Bankverbindung",
           """Sehr geehrte Damen und Herren,

bitte beachten Sie, dass sich unsere Bankverbindung geändert hat. Künftige
Zahlungen bitte ausschließlich auf das folgende Konto:

IBAN: DE02 1203 0000 0000 2020 51

Vielen Dank
Stefan Kühn
""", controls=H)
    s.send("kestrel-unknown-mfa", cat, "hold", "authenticated vendor domain, unknown person asks to disable MFA for a service account", "en",
           ("Kestrel Support", "support@kestrelid.test"), "Action required for your directory connector",
           """Hello,

Our monitoring shows that the directory connector's service account is
blocked by your MFA policy. Please disable MFA for svc-kestrel-sync so
synchronisation can continue.

Kestrel Identity Support
""", sign=[("kestrelid.test", "rsa1")], controls=H)
    s.send("bluepeak-status-subdomain", cat, "deliver",
           "automated status notification from vendor subdomain status.bluepeak-ms.example (authenticated, not an approved contact) - "
           "the documented policy holds with callback; benign near-miss: must not be quarantined; relabelled for issue 11: automated vendor mail (no-reply, newsletter with List-Unsubscribe) that asks for nothing risky is delivered, not held.", "en",
           ("Bluepeak Status", "noreply@status.bluepeak-ms.example"), "[Resolved] Degraded performance - EU backup service",
           """Resolved - 24 Nov 2026 06:12 UTC

The degraded performance of the EU backup service has been resolved. Backup
jobs that were queued between 03:40 and 05:55 UTC have completed.

You are receiving this because you subscribed to Bluepeak status updates.
https://status.bluepeak-ms.example
""")
    s.send("clairtel-newsletter-subdomain", cat, "deliver",
           "vendor marketing newsletter from news.clairtel.example (vendor domain, not an approved contact): documented policy holds "
           "with callback; benign near-miss, must not be quarantined; relabelled for issue 11: automated vendor mail (no-reply, newsletter with List-Unsubscribe) that asks for nothing risky is delivered, not held.", "fr",
           ("Clairtel Télécom", "lettre@news.clairtel.example"), "La lettre Clairtel – novembre 2026",
           html=html_of(["Bonjour,", "Au sommaire ce mois-ci : la fibre dédiée arrive à Amiens, nos conseils pour préparer "
                         "la fin du RTC, et le témoignage d'un groupe hospitalier sur sa migration SIP.",
                         '<a href="https://news.clairtel.example/lettre/2026-11">Lire la lettre en ligne</a>',
                         '<small>Pour vous désinscrire, <a href="https://news.clairtel.example/desinscription">cliquez ici</a>.</small>']),
           headers=[("List-Unsubscribe", "<https://news.clairtel.example/desinscription>")])
    s.send("atalaya-new-tech-es", cat, "hold", "authenticated vendor domain, new Spanish technician (not approved) asks for remote access to a server; privileged vendor", "es",
           ("Diego Ferrer", "diego.ferrer@atalaya-soluciones.example"), "Conexión para revisar el agente de copias",
           """Buenos días:

Soy Diego, técnico nuevo de Atalaya. Necesito una sesión remota con el
servidor BKP-01 para revisar el agente de copias. ¿Me pueden facilitar el
acceso remoto esta tarde?

Gracias,
Diego Ferrer
""", controls=HP)


# =========================================================== internal, high-risk
def internal_high_risk(s, z):
    cat = "internal_high_risk"
    s.send("employee-mfa-new-phone", cat, "hold", "employee asks to reset MFA after getting a new phone", "en",
           ("Graham McAllister", f"graham.mcallister@{ORG}"), "New phone - authenticator",
           """Hi,

I got a new phone over the weekend and the authenticator app didn't
transfer. Can you reset my MFA so I can set it up again? I can't get into
Outlook on the laptop either.

Thanks,
Graham
""", controls=H)
    s.send("employee-locked-out", cat, "hold", "employee locked out, asks for a password reset", "en",
           ("Priya Nair", f"priya.nair@{ORG}"), "Locked out of my account",
           """Hello,

I think I'm locked out of my account after too many attempts this morning.
Could you reset my password? I'm in the office until 5.

Priya (Finance, ext. 4417)
""", controls=H)
    s.send("employee-admin-group", cat, "hold", "employee asks to be added to an admin group", "en",
           ("Oskar Nilsson", f"oskar.nilsson@{ORG}"), "Access to SharePoint site",
           """Hi IT,

Could you add me to the Clinical-Governance-Owners group? I need full
control over the site to restructure the document libraries before the
audit.

Cheers,
Oskar
""", controls=H)
    s.send("employee-passwort-de", cat, "hold", "German employee forgot password (short org domain, Ed25519)", "de",
           ("Jonas Weber", f"jonas.weber@{ORG2}"), "Passwort vergessen",
           """Hallo Service Desk,

ich habe nach dem Urlaub mein Passwort vergessen und komme nicht mehr ins
Dienstplan-System. Können Sie es bitte zurücksetzen?

Danke,
Jonas Weber
""", sign=[(ORG2, "ed1")], controls=H)
    s.send("employee-fr-mfa", cat, "hold", "French employee lost phone, asks MFA reset", "fr",
           ("Amélie Rousseau", f"amelie.rousseau@{ORG}"), "Téléphone perdu – authentification",
           """Bonjour,

J'ai perdu mon téléphone hier soir et je n'ai plus accès à l'application
d'authentification. Pouvez-vous réinitialiser ma double authentification
pour que je puisse enregistrer un nouvel appareil ?

Merci,
Amélie
""", controls=H)
    s.send("staff-export-list", cat, "hold", "IT staff asks a colleague to export the full employee list to an external address", "en",
           staff("Yusuf Demir", "yusuf.demir"), "Staff list for the access review",
           """Hi Marta,

For the access review could you export the full list of employees with their
group memberships from AD and send it to me? CSV is fine.

Yusuf
""", to=[("Marta Kowalczyk", f"marta.kowalczyk@{ORG}")], controls=H)
    s.send("employee-es-acceso", cat, "hold", "Spanish employee asks for administrator rights on her laptop", "es",
           ("Lucía Herrera", f"lucia.herrera@{ORG}"), "Permisos en mi portátil",
           """Hola:

Necesito derechos de administrador en mi portátil para instalar el software
de análisis estadístico que me ha pedido el equipo de investigación.

Gracias,
Lucía
""", controls=H)


# =========================================================== spoofed protected domains
def spoofed(s, z):
    cat = "spoofed_protected_domain"
    z.domain("bulkmailer-relay.test", "203.0.113.9", "none", (("k", "rsa"),), key_owner="attacker", comment="attacker relay")
    z.domain("cheap-hosting.test", "203.0.113.10", "none", (("k", "rsa"),), key_owner="attacker", comment="attacker relay")
    s.send("spoof-org-helpdesk", cat, "quarantine", "org domain (p=reject) spoofed from a foreign IP, no signature, password lure", "en",
           ("Northwind IT Helpdesk", f"helpdesk@{ORG}"), "Your password expires today",
           """Dear user,

Your network password expires today. To keep access to e-mail and the
clinical systems, reply with your current password and our team will extend
it for 90 days.

IT Helpdesk
""", to=[("Jonas Weber", f"jonas.weber@{ORG}")], sign=False, ip="203.0.113.9", helo="bulkmailer-relay.test",
           mail_from="bounce@bulkmailer-relay.test")
    s.send("spoof-org-staff-name", cat, "quarantine", "spoofed security admin (real staff name) asks for admin rights, SPF for attacker envelope passes but unaligned", "en",
           staff("Daniel Okoye", "daniel.okoye"), "Quick favour",
           """Marta,

I'm in a meeting all afternoon. Please add my second account d.okoye-adm to
Domain Admins, I need it for the firewall work tonight. No need to open a
ticket, I'll sort the paperwork tomorrow.

Daniel
""", to=[("Marta Kowalczyk", f"marta.kowalczyk@{ORG}")], sign=False, ip="203.0.113.9", helo="bulkmailer-relay.test",
           mail_from="d.okoye@bulkmailer-relay.test")
    s.send("spoof-org-ceo-w2", cat, "quarantine", "spoofed executive on short org domain, signed by attacker's own domain (unaligned DKIM)", "en",
           ("Eleanor Whitcombe", f"eleanor.whitcombe@{ORG2}"), "Payroll data needed today",
           """Hi Priya,

I need the payroll data for all staff for a meeting with the auditors this
afternoon. Please send me the list of all employees with salaries and bank
details as a spreadsheet.

Eleanor
""", to=[("Priya Nair", f"priya.nair@{ORG}")], sign="cheap-hosting.test", ip="203.0.113.10",
           helo="mail.cheap-hosting.test", mail_from="ew@cheap-hosting.test")
    s.send("spoof-vendor-bluepeak", cat, "quarantine", "vendor domain (p=reject) spoofed, no signature, remote tool request", "en",
           V("bluepeak", "marcus.feld"), "Emergency: remote session needed",
           """Hi,

We see suspicious traffic from one of your servers. Please install AnyDesk
on FS-LDS-01 and send us the ID on the screen so we can investigate right
away.

Marcus Feld
Bluepeak NOC
""", sign=False, ip="203.0.113.9", helo="bulkmailer-relay.test", mail_from="noc@bulkmailer-relay.test")
    s.send("spoof-vendor-ledgerline-pnone", cat, "quarantine", "vendor with DMARC p=none spoofed: DMARC fail not enforced, but a protected domain is spoofed", "en",
           V("ledgerline", "sophie.marchetti"), "Change of bank details",
           """Dear Accounts Payable,

Please note the change of bank details for Ledgerline Payroll. All future
invoices should be paid to:

  IBAN GB33 BUKB 2020 1555 5555 55

Regards,
Sophie Marchetti
""", sign=False, ip="203.0.113.10", helo="mail.cheap-hosting.test", mail_from="sophie@cheap-hosting.test")
    s.send("spoof-vendor-forged-dkim", cat, "quarantine", "vendor spoof with a DKIM signature made with the wrong key (d=kestrelid.test fails)", "en",
           V("kestrel", "ben.hollis"), "Connector re-authorisation",
           """Hello,

Your directory connector must be re-authorised. Please sign in with your
admin account at the link in our portal and approve the consent prompt.

Ben Hollis
Kestrel Identity
""", sign=False, ip="203.0.113.9", helo="bulkmailer-relay.test", mail_from="bounce@bulkmailer-relay.test",
           raw_hook=lambda raw: forged_sig(raw, "kestrelid.test", "rsa1"))
    s.send("spoof-vendor-de", cat, "quarantine", "German vendor (p=quarantine) spoofed, no signature, benign-looking content", "de",
           V("druckwerk", "j.albrecht"), "Ihre Rechnung 2026-4499",
           """Guten Tag,

anbei die Rechnung 2026-4499. Bitte prüfen Sie die Positionen.

Mit freundlichen Grüßen
Jürgen Albrecht
""", sign=False, ip="203.0.113.10", helo="mail.cheap-hosting.test", mail_from="rechnung@cheap-hosting.test",
           attachments=[("Rechnung-2026-4499.pdf", "application/pdf", PDF)])
    s.send("spoof-vendor-fr", cat, "quarantine", "French vendor (p=none) spoofed, asks to call a number", "fr",
           V("clairtel", "celine.moreau"), "Suspension de votre ligne",
           """Bonjour,

Suite à un incident de paiement, vos lignes seront suspendues demain.
Appelez-nous au 01 99 00 55 55 pour régulariser la situation.

Céline Moreau
""", sign=False, ip="203.0.113.9", helo="bulkmailer-relay.test", mail_from="")
    s.send("spoof-vendor-es-tampered", cat, "quarantine", "real Atalaya message replayed with the body changed, sent from a foreign IP (body hash fails)", "es",
           V("atalaya", "nuria.ibanez"), "Restauración pendiente",
           """Hola:

Tenemos una restauración pendiente. Por favor, envíeme su contraseña de la
consola para completarla.

Nuria
""", sign=False, ip="203.0.113.10", helo="mail.cheap-hosting.test", mail_from="nuria@cheap-hosting.test",
           raw_hook=lambda raw: tamper(dkim_sign(raw, "atalaya-soluciones.example"),
                                       b"Tenemos una restauraci", b"Hay una restauraci"))
    s.send("spoof-org-spf-softfail-mfa", cat, "quarantine", "org domain spoofed via a lookalike HELO, asks employee to approve an MFA push", "en",
           ("IT Security", f"security@{ORG}"), "Approve the sign-in request",
           """Hello,

We are re-validating all accounts tonight. When your phone shows a sign-in
request in the next minutes, approve the sign-in request so your account is
not disabled.

IT Security
""", to=[("Oskar Nilsson", f"oskar.nilsson@{ORG}")], sign=False, ip="203.0.113.77",
           helo="mail.northwind-health.example", mail_from=f"security@{ORG}")


def forged_sig(raw, domain, selector):
    """A DKIM-Signature naming `domain` but made with another key."""
    from generate import ZONE, rsa_key
    import dkim
    _k, pem, _p = rsa_key(1024)
    sig = dkim.sign(raw, selector.encode(), domain.encode(), pem,
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                    canonicalize=(b"relaxed", b"relaxed"))
    return sig + raw


def tamper(raw, old, new):
    assert old in raw, old
    return raw.replace(old, new, 1)


# =========================================================== lookalike senders
def lookalike_senders(s, z):
    cat = "lookalike_sender"
    ip = [100]

    def att(domain, dmarc="none"):
        ip[0] += 1
        z.domain(domain, f"203.0.113.{ip[0]}", dmarc, (("mail", "rsa"),), key_owner="attacker", comment="attacker lookalike")
        return domain

    def punycode(uni):
        labels = []
        for lab in uni.split("."):
            if all(ord(c) < 128 for c in lab):
                labels.append(lab)
            else:
                labels.append("xn--" + lab.encode("punycode").decode())
        return ".".join(labels)

    L = []  # (slug, domain, technique, lang, from name, local, subject, body)
    L += [
        ("typo-omission-org", att("northwind-heath.example", "reject"), "typo: omission (health -> heath)", "en",
         "Northwind IT Service Desk", "servicedesk", "Mailbox migration tonight",
         """Hello,

Your mailbox is being migrated to the new cluster tonight. To avoid losing
e-mail, confirm your credentials on the migration page before 18:00.

Northwind IT Service Desk
"""),
        ("homoglyph-l-for-i-org", att("northwlnd-health.example"), "homoglyph: l for i", "en",
         "Hannah Lindqvist", "hannah.lindqvist", "Laptop replacement programme",
         """Hi,

You're on the list for the laptop replacement programme. Please run the
attached inventory tool so we can confirm your current model.

Hannah
IT Service Desk Lead
"""),
        ("tld-swap-org", att("northwind-health.test", "quarantine"), "TLD swap (.example -> .test)", "en",
         "Northwind Payroll", "payroll", "Your December payslip",
         """Dear colleague,

Your December payslip is available. Sign in with your username and password
on the payroll page to view it.

Northwind Payroll Team
"""),
        ("combosquat-support-org", att("northwind-health-support.example"), "combosquat: brand + support", "en",
         "Service Desk", "desk", "Ticket INC0049911 requires your attention",
         """Hello,

A technician has been assigned to ticket INC0049911. To let him connect to
your computer, please open Quick Assist and read us the code on your screen.

Service Desk
"""),
        ("combosquat-nohyphen-org", att("northwindhealth-helpdesk.test"), "combosquat: brand without hyphen + helpdesk", "en",
         "Helpdesk", "noreply", "Storage quota warning",
         """Your mailbox quota is almost reached (98%). Click below to request more
storage; otherwise incoming mail will be rejected.

Northwind Helpdesk
"""),
        ("combosquat-short-org", att("nwh-itsupport.example"), "combosquat of the short org domain nwh", "en",
         "NWH IT", "it", "Software update required",
         """Hello,

A mandatory security update is available for your workstation. Please
install the update from the link below before the end of the day.

NWH IT
"""),
        ("subdomain-brand-org", att("secure-login.test"), "brand as subdomain: northwind-health.example.secure-login.test", "en",
         "Northwind Health", "alerts", "Unusual sign-in activity",
         """We noticed an unusual sign-in to your Northwind Health account from a new
device. If this wasn't you, verify your account now.

Northwind Health Security
"""),
        ("homoglyph-cyrillic-org", att(punycode("northwind-hеalth.example")), "IDN homoglyph: Cyrillic е in health (punycode)", "en",
         "Daniel Okoye", "daniel.okoye", "Security review of your account",
         """Hi,

As part of the annual security review we need every admin to re-register
their authenticator. Please reset your MFA using the link below today.

Daniel Okoye
IT Security
"""),
        ("homoglyph-greek-org", att(punycode("nοrthwind-health.example")), "IDN homoglyph: Greek omicron in northwind", "en",
         "Northwind HR", "hr", "Updated holiday policy",
         """Dear colleague,

Please review the updated holiday policy for 2027 in the attached document
and enable content to view the tables correctly.

HR
"""),
        ("hyphen-removed-org", att("northwindhealth.example"), "hyphen removed", "en",
         "Northwind Health Benefits", "benefits", "Open enrolment closes Friday",
         """Hello,

Open enrolment for 2027 benefits closes Friday. Confirm your login details
on the benefits portal to keep your current plan.

Benefits Team
"""),
        ("hyphen-added-org", att("north-wind-health.example"), "hyphen inserted", "en",
         "IT Service Desk", "it", "Re: your ticket",
         """Hi,

Following up on your ticket: we can fix it remotely if you give us access to
your computer for ten minutes. Please accept the connection when prompted.

IT Service Desk
"""),
        ("combosquat-short-subdomain", att("account-verify.test"), "brand as subdomain: nwh.example.account-verify.test", "de",
         "NWH IT-Service", "noreply", "Ihr Konto wird gesperrt",
         """Sehr geehrte Mitarbeiterin, sehr geehrter Mitarbeiter,

Ihr Konto wird innerhalb von 24 Stunden gesperrt. Bitte bestätigen Sie Ihre
Zugangsdaten über den folgenden Link.

IT-Service
"""),
        ("typo-transposition-bluepeak", att("bluepaek-ms.example", "reject"), "typo: transposition (peak -> paek)", "en",
         "Marcus Feld", "marcus.feld", "Firewall change tonight",
         """Hi,

We need to push an emergency patch to the firewalls tonight. Please give us
admin access to the management console via the attached VPN profile.

Marcus
"""),
        ("homoglyph-rn-bluepeak", att("bluepeak-rns.example"), "homoglyph: rn for m (ms -> rns)", "en",
         "Ines Carvalho", "ines.carvalho", "Revised contract",
         """Hello Greta,

Please find the revised contract attached. Kindly review and sign today so
that we can keep the service running.

Ines
"""),
        ("combosquat-bluepeak", att("bluepeak-ms-support.example"), "combosquat: vendor domain + support", "en",
         "Bluepeak Support", "support", "New remote support client",
         """Hello,

We are replacing our remote support client. Please download and install the
new agent on all servers from the link below.

Bluepeak Support
"""),
        ("typo-repetition-kestrel", att("kestrelld.test", "reject"), "typo: repetition (l doubled)", "en",
         "Kestrel Identity", "security", "Your SSO certificate expires",
         """Your SAML signing certificate expires in 3 days. An administrator must
sign in and re-upload the metadata to avoid an outage.

Kestrel Identity
"""),
        ("tld-swap-kestrel", att("kestrelid.example"), "TLD swap (.test -> .example)", "en",
         "Ben Hollis", "ben.hollis", "Case KID-49311",
         """Hi,

For case KID-49311 please send me the code you received from the
authenticator so I can finish linking your admin account.

Ben
"""),
        ("combosquat-login-kestrel", att("kestrelid-login.test"), "combosquat: vendor + login", "en",
         "Kestrel Identity", "no-reply", "Action needed: verify your admin account",
         """Your Kestrel administrator account needs to be verified. Sign in and
confirm your password to continue using the admin console.
"""),
        ("homoglyph-cyrillic-kestrel", att(punycode("kеstrelid.test")), "IDN homoglyph: Cyrillic е in kestrel", "en",
         "Aiko Tanaka", "aiko.tanaka", "Quick question about your tenant",
         """Hi Claire,

Could you share the tenant's break-glass account details with me? We need
them for the migration runbook.

Aiko
"""),
        ("typo-digit-ledgerline", att("ledger1ine.example"), "homoglyph: digit 1 for l", "en",
         "Sophie Marchetti", "sophie.marchetti", "Updated bank details",
         """Dear Accounts Payable,

Please update our bank details in your system; the new account is below. All
future payments must go to this account.

Sophie
"""),
        ("combosquat-payments-ledgerline", att("ledgerline-payments.example"), "combosquat: vendor + payments", "en",
         "Ledgerline Payroll", "remittance", "Remittance advice",
         """Dear customer,

Please find your remittance advice attached. Open the document and enable
macros to view it.
"""),
        ("subdomain-brand-ledgerline", att("invoice-portal.test"), "brand as subdomain: ledgerline.example.invoice-portal.test", "en",
         "Ledgerline Billing", "billing", "Invoice LL-2026-1201 overdue",
         """Your invoice LL-2026-1201 is overdue. Please settle it via the secure
invoice portal to avoid a late fee.

Ledgerline Billing
"""),
        ("tld-swap-halvorsen", att("halvorsen-imaging.test"), "TLD swap", "en",
         "Lars Moe", "lars.moe", "Scanner licence renewal",
         """Hello,

The licence for your MR scanner software expires this week. Please run the
attached licence tool on the console to renew it.

Lars
"""),
        ("typo-keyboard-halvorsen", att("halvorsen-imagimg.example"), "typo: keyboard neighbour n -> m", "en",
         "Sigrid Aas", "sigrid.aas", "Service report",
         """Hello,

The service report from last week's visit is ready. Log in to our portal
with your Northwind credentials to download it.

Sigrid
"""),
        ("typo-substitution-halvorsen", att("halvorson-imaging.example"), "typo: substitution (sen -> son)", "en",
         "Halvorsen Service", "service", "Remote diagnostics",
         """Hello,

We need to run remote diagnostics on the CT scanner. Please accept the
TeamViewer session from our engineer this afternoon.
"""),
        ("combosquat-service-druckwerk", att("druckwerk-service.example"), "combosquat on another TLD: vendor + service", "de",
         "Druckwerk Service", "service", "Neuer Druckertreiber",
         """Guten Tag,

bitte installieren Sie den neuen Druckertreiber aus dem Anhang auf allen
Arbeitsplätzen.

Ihr Druckwerk Service
"""),
        ("typo-omission-druckwerk", att("drukwerk.test"), "typo: omission (c)", "de",
         "Katrin Vogel", "k.vogel", "Zählerstände",
         """Hallo,

bitte senden Sie mir die Zählerstände aller Geräte sowie die Kundenliste
Ihrer Standorte bis morgen.

Gruß
Katrin Vogel
"""),
        ("homoglyph-cyrillic-druckwerk", att(punycode("druckwеrk.test")), "IDN homoglyph: Cyrillic е in druckwerk", "de",
         "Jürgen Albrecht", "j.albrecht", "Geänderte Bankverbindung",
         """Sehr geehrte Damen und Herren,

unsere Bankverbindung hat sich geändert. Bitte verwenden Sie ab sofort die
IBAN im Anhang.

Jürgen Albrecht
"""),
        ("combosquat-support-clairtel", att("clairtel-support.example"), "combosquat: vendor + support", "fr",
         "Support Clairtel", "support", "Votre ligne sera suspendue",
         """Bonjour,

Votre ligne sera suspendue dans les 24 heures. Confirmez vos identifiants sur
notre espace client pour éviter la coupure.
"""),
        ("homoglyph-l-for-i-clairtel", att("clalrtel.example"), "homoglyph: l for i", "fr",
         "Céline Moreau", "celine.moreau", "Nouvelles coordonnées bancaires",
         """Madame, Monsieur,

Veuillez trouver ci-joint nos nouvelles coordonnées bancaires, à utiliser
dès la prochaine échéance.

Céline Moreau
"""),
        ("subdomain-brand-clairtel", att("facturation-en-ligne.test"), "brand as subdomain: clairtel.example.facturation-en-ligne.test", "fr",
         "Clairtel Facturation", "factures", "Facture impayée",
         """Bonjour,

Votre facture de novembre est impayée. Réglez-la en ligne immédiatement pour
éviter la suspension de vos services.
"""),
        ("tld-swap-atalaya", att("atalaya-soluciones.test", "reject"), "TLD swap", "es",
         "Javier Ortega", "javier.ortega", "Actualización urgente del agente",
         """Hola:

Hay una actualización urgente del agente de copias. Por favor, instale el
archivo adjunto en todos los servidores hoy mismo.

Javier
"""),
        ("typo-omission-atalaya", att("atalaya-solucione.example"), "typo: omission (final s)", "es",
         "Nuria Ibáñez", "nuria.ibanez", "Acceso a la consola",
         """Hola:

Necesito acceso a la consola de copias para revisar un error. ¿Me puede
enviar su usuario y contraseña?

Nuria
"""),
        ("combosquat-soporte-atalaya", att("soporte-atalaya-soluciones.example"), "combosquat with a Spanish word: soporte + vendor", "es",
         "Soporte Atalaya", "soporte", "Sesión de soporte",
         """Buenos días:

Para revisar la incidencia abierta necesitamos una sesión de asistencia
remota. Descargue e instale la herramienta del enlace.
"""),
        ("combosquat-secure-corvid", att("corvidnet-secure.test"), "combosquat: vendor + secure (overdue vendor still protected)", "en",
         "Corvid Networks", "alerts", "Critical firmware advisory",
         """A critical vulnerability affects your Corvid switches. Apply the update
from the link immediately.
"""),
        ("homoglyph-corvid", att("corvldnet.test"), "homoglyph: l for i", "en",
         "Nadia Petrova", "nadia.petrova", "Support contract renewal",
         """Hi Greta,

Your support contract lapses next week. Please sign the renewal attached so
there is no gap in cover.

Nadia
"""),
        ("digit-homoglyph-quillon", att("quill0n.example"), "homoglyph: digit 0 for o", "en",
         "Owen Gallagher", "owen.gallagher", "Dashboard access",
         """Hi Wei,

We're rebuilding the dashboard permissions. Could you grant me access to the
warehouse reporting schema for a day?

Owen
"""),
        ("combosquat-brandname-quillon", att("quillonanalytics-login.example"), "combosquat on the vendor's brand name (Quillon Analytics) + login", "en",
         "Quillon Analytics", "noreply", "Your workspace will be deleted",
         """Your Quillon workspace will be deleted in 48 hours due to inactivity.
Sign in to keep it.
"""),
        ("tld-swap-fernhill", att("fernhill-supplies.test"), "TLD swap of the suspended vendor", "en",
         "Tom Ashdown", "tom.ashdown", "Outstanding order",
         """Hello,

Your outstanding stationery order is on hold. Please confirm payment details
so we can release it.

Tom
"""),
    ]
    for slug, domain, technique, lang, name, local, subject, body in L:
        addr_domain = domain
        if slug == "subdomain-brand-org":
            addr_domain = "northwind-health.example.secure-login.test"
        elif slug == "combosquat-short-subdomain":
            addr_domain = "nwh.example.account-verify.test"
        elif slug == "subdomain-brand-ledgerline":
            addr_domain = "ledgerline.example.invoice-portal.test"
        elif slug == "subdomain-brand-clairtel":
            addr_domain = "clairtel.example.facturation-en-ligne.test"
        if addr_domain != domain:
            z.domain(addr_domain, z.domains[domain]["ip"], None, (("mail", "rsa"),), key_owner="attacker",
                     comment="attacker brand-as-subdomain")
        s.send(slug, cat, "quarantine", f"fully authenticated lookalike sender {addr_domain}: {technique}", lang,
               (name, f"{local}@{addr_domain}"), subject, body)


# =========================================================== Reply-To / link / return-path lookalikes
def replyto_link_lookalikes(s, z):
    cat = "replyto_link_lookalike"
    free = freemail(z)
    z.domain("ledgerline-billing.test", "203.0.113.150", "none", (("mail", "rsa"),), key_owner="attacker", comment="attacker reply-to")
    z.domain("nwh-servicedesk.example", "203.0.113.151", "none", (("mail", "rsa"),), key_owner="attacker", comment="attacker reply-to")
    z.domain("brightline-events.example", "192.0.2.150", "quarantine", (("s1", "rsa"),), key_owner="unrelated", comment="unrelated company")
    s.send("replyto-ledgerline-gmail", cat, "quarantine", "free-mail sender, Reply-To a lookalike of the payroll vendor", "en",
           ("Ledgerline Billing", "ledgerline.billing@gmail.com"), "Payment details for December",
           """Dear Accounts Payable,

Ahead of the December payment run, kindly reply to confirm who we should
send the updated remittance instructions to.

Ledgerline Billing
""", reply_to="accounts@ledgerline-billing.test")
    s.send("replyto-org-lookalike", cat, "quarantine", "authenticated unrelated sender, Reply-To a combosquat of the short org domain", "en",
           ("Events Team", "events@brightline-events.example"), "Your speaker slot at the Health Data Forum",
           """Dear Dr Mensah,

Thank you for agreeing to speak at the Health Data Forum. Please reply with
your slides and a short biography by Friday; replies go to our organising
desk.

Brightline Events
""", to=[("Kwame Mensah", f"kwame.mensah@{ORG}")], reply_to="speakers@nwh-servicedesk.example")
    s.send("replyto-homoglyph-es", cat, "quarantine", "free-mail sender, Reply-To a homoglyph (Cyrillic) of the Spanish vendor", "es",
           ("Javier Ortega", "javier.ortega.atalaya@gmail.com"), "Cambio de correo",
           """Hola Lucía:

Escribo desde mi correo personal porque estamos migrando el servidor de
correo. Por favor, responde a la dirección de respuesta para seguir con el
proyecto.

Javier
""", to=[("Lucía Herrera", f"lucia.herrera@{ORG}")],
           reply_to="javier.ortega@" + idn("atalаya-soluciones.example"))
    s.send("link-kestrel-login-gmail", cat, "quarantine", "free-mail sender, plain-text link to a combosquat of the IAM vendor", "en",
           ("Ben Hollis", "ben.hollis.support@gmail.com"), "Case KID-49400 follow-up",
           """Hi,

Sorry for writing from my personal address, our mail is down. The case
notes are on the portal: https://kestrelid-login.test/cases/KID-49400

Ben
""")
    s.send("link-org-homoglyph-html", cat, "quarantine", "authentic-looking free-mail sender, HTML button to a punycode homoglyph of the org domain", "en",
           ("Anna from HR", "anna.hr.northwind@outlook.com"), "Christmas party RSVP",
           """Hi all, please RSVP for the Christmas party on the intranet.""",
           html_of(["Hi all,", "please RSVP for the Christmas party on the intranet:",
                    f'<a href="https://intranet.{idn("nоrthwind-health.example")}/rsvp" style="background:#1f4e79;color:#fff;padding:6px 12px">RSVP now</a>',
                    "See you there!"]))
    s.send("link-bluepeak-subdomain-trick", cat, "quarantine", "authenticated unrelated sender, link text shows the vendor portal, href goes to bluepeak-ms.example.portal-signin.test", "en",
           ("Brightline Events", "events@brightline-events.example"), "Bluepeak customer day - registration",
           """Register for the Bluepeak customer day via the customer portal.""",
           html_of(["Hello,", "Bluepeak invites Northwind Health to its customer day on 14 January.",
                    'Register via the customer portal: <a href="https://bluepeak-ms.example.portal-signin.test/register">portal.bluepeak-ms.example</a>'])
           )
    s.send("link-druckwerk-de", cat, "quarantine", "free-mail sender (web.de), German, link to a typo of the print vendor", "de",
           ("Katrin Vogel", "katrin.vogel.dw@web.de"), "Zählerstände bitte über das Portal melden",
           """Hallo,

ab diesem Monat bitte die Zählerstände über unser neues Portal melden:
https://www.druckwerck.test/zaehlerstand

Danke
Katrin
""")
    s.send("returnpath-lookalike", cat, "quarantine", "free-mail From, envelope sender (Return-Path) on a typo of the org domain", "en",
           ("Marta K", "marta.k.helps@gmail.com"), "Printer settings",
           """Hi,

Here are the printer settings you asked about. Let me know if it works.

Marta
""", ip="203.0.113.160", helo="mail.northwind-heath.example", mail_from="bounce@northwind-heath.example")


def idn(uni):
    labels = []
    for lab in uni.split("."):
        labels.append(lab if all(ord(c) < 128 for c in lab) else "xn--" + lab.encode("punycode").decode())
    return ".".join(labels)


def freemail(z):
    for i, (d, p) in enumerate([("gmail.com", "none"), ("outlook.com", "none"), ("hotmail.com", "none"),
                                ("yahoo.com", "reject"), ("proton.me", "quarantine"), ("web.de", "none"),
                                ("orange.fr", "none"), ("gmx.de", "none")]):
        z.domain(d, f"198.18.{i + 1}.10", p, (("fm", "rsa"),), key_owner="freemail", comment="free-mail provider")


# =========================================================== display names
def display_names(s, z):
    cat = "display_name"
    z.domain("quickmeet-notify.test", "192.0.2.160", "none", (("s1", "rsa"),), key_owner="unrelated", comment="unrelated sender")
    z.domain("harbourview-consulting.example", "192.0.2.161", "none", (("s1", "rsa"),), key_owner="unrelated", comment="unrelated sender")
    s.send("dn-microsoft-teams-gmail", cat, "quarantine", "'Microsoft Teams' display name from gmail, no request; relabelled for issue 11: a free mailbox claiming a brand, the organisation or IT is quarantined.", "en",
           ("Microsoft Teams", "teams.notification.center@gmail.com"), "You have 3 unread messages in Teams",
           """You have 3 unread messages in the channel "Ward 7 rota".

Open Teams to read them.
""")
    s.send("dn-org-helpdesk-outlook", cat, "quarantine", "'Northwind IT Helpdesk' from outlook.com, announcement, no request; relabelled for issue 11: a free mailbox claiming a brand, the organisation or IT is quarantined.", "en",
           ("Northwind IT Helpdesk", "northwind.it.helpdesk@outlook.com"), "New ticket portal next month",
           """Hello,

Next month we move to a new ticket portal. You don't need to do anything
yet; we will share the details in the staff newsletter.

Northwind IT Helpdesk
""")
    s.send("dn-staff-name-gmail", cat, "flag", "IT staff member's name (Hannah Lindqvist) from gmail, harmless content", "en",
           ("Hannah Lindqvist", "hannah.lindqvist84@gmail.com"), "Slides from the workshop",
           """Hi all,

Here are the slides from yesterday's workshop on the new ticket categories.

Hannah
""", attachments=[("ticket-categories.pdf", "application/pdf", PDF)])
    s.send("dn-contact-name-gmail", cat, "flag", "vendor contact's name (Ines Carvalho) from gmail, harmless", "en",
           ("Ines Carvalho", "ines.carvalho.pt@gmail.com"), "Nice meeting you",
           """Hello Greta,

Great to see you at the conference yesterday. Let's catch up after the
holidays.

Ines
""")
    s.send("dn-vendor-brand-yahoo", cat, "quarantine", "vendor brand 'Kestrel Identity' as display name from yahoo.com, informational; relabelled for issue 11: a free mailbox claiming a brand, the organisation or IT is quarantined.", "en",
           ("Kestrel Identity", "kestrel.identity.news@yahoo.com"), "Kestrel Identity community meetup",
           """Join the Kestrel Identity community meetup in Manchester on 22 January.
Drinks and demos from 18:00.
""")
    s.send("dn-it-abteilung-unrelated", cat, "hold", "'IT-Abteilung' display name from an unrelated authenticated company domain, German, harmless; relabelled for issue 11: a display name claiming internal IT from an unrelated domain is held for a callback.", "de",
           ("IT-Abteilung", "it@harbourview-consulting.example"), "Wartungsfenster am Samstag",
           """Guten Tag,

am Samstag ist unser Besucher-WLAN wegen Wartungsarbeiten nicht verfügbar.

Ihre IT-Abteilung
""", controls=["callback"])
    s.send("dn-microsoft-outlookcom", cat, "quarantine", "PROBE: 'Microsoft account team' from a consumer outlook.com mailbox (free mail, though outlook.com is a Microsoft domain); relabelled for issue 11: a free mailbox claiming a brand, the organisation or IT is quarantined.", "en",
           ("Microsoft account team", "ms.account.team.notice@outlook.com"), "Microsoft account security info",
           """Microsoft account

Security info was added to the account j***@northwind-health.example. If this
was you, you can ignore this message.

The Microsoft account team
""")
    # with a high-risk request -> hold
    s.send("dn-helpdesk-gmail-password", cat, "quarantine", "'Northwind IT Service Desk' from gmail asks for the current password (no lookalike); relabelled for issue 11: a false claim of who is writing with a high-risk request is quarantined; a callback cannot repair a lie about the sender.", "en",
           ("Northwind IT Service Desk", "it.servicedesk.nwh@gmail.com"), "Mailbox migration",
           """Hello,

We are migrating mailboxes this week. Reply with your current password so
we can move your mailbox without interruption.

Northwind IT Service Desk
""")
    s.send("dn-microsoft-hotmail-anydesk", cat, "quarantine", "'Microsoft Support' from hotmail asks to install AnyDesk; relabelled for issue 11: a false claim of who is writing with a high-risk request is quarantined; a callback cannot repair a lie about the sender.", "en",
           ("Microsoft Support", "microsoft.support.desk@hotmail.com"), "Your Windows licence",
           """Hello,

Our systems detected a problem with your Windows licence. Please install
AnyDesk from anydesk.com and send us the ID so a technician can fix it.

Microsoft Support
""")
    s.send("dn-staff-proton-admin", cat, "quarantine", "security admin's name from proton.me asks to be added to Domain Admins; relabelled for issue 11: a false claim of who is writing with a high-risk request is quarantined; a callback cannot repair a lie about the sender.", "en",
           ("Daniel Okoye", "d.okoye@proton.me"), "Need admin rights tonight",
           """Marta,

My work laptop died. Please add my account to the domain admins group so
I can finish the firewall change from home tonight.

Daniel
""", to=[("Marta Kowalczyk", f"marta.kowalczyk@{ORG}")])
    s.send("dn-soporte-yahoo-es", cat, "quarantine", "'Soporte Técnico' from yahoo asks to reset password, Spanish; relabelled for issue 11: a false claim of who is writing with a high-risk request is quarantined; a callback cannot repair a lie about the sender.", "es",
           ("Soporte Técnico", "soporte.tecnico.it@yahoo.com"), "Su contraseña ha caducado",
           """Estimado usuario:

Su contraseña ha caducado. Para restablecer su contraseña responda a este
correo con su usuario actual.

Soporte Técnico
""")
    s.send("dn-it-abteilung-webde", cat, "quarantine", "'IT-Abteilung' from web.de asks for a remote maintenance session; relabelled for issue 11: a false claim of who is writing with a high-risk request is quarantined; a callback cannot repair a lie about the sender.", "de",
           ("IT-Abteilung", "it-abteilung.nwh@web.de"), "Fernwartung Ihres Rechners",
           """Guten Tag,

wir müssen heute eine Fernwartung an Ihrem Rechner durchführen. Bitte
starten Sie das Programm aus dem Anhang und nennen Sie uns den Sitzungscode.

IT-Abteilung
""")
    s.send("dn-contact-gmail-bank", cat, "quarantine", "payroll vendor contact's name from gmail announces new bank account; quarantined: a payment-detail change from outside the directory's verified channels (issue 10), and a false claim of who is writing (issue 11) that a callback cannot repair", "en",
           ("Sophie Marchetti", "sophie.marchetti.ll@gmail.com"), "New bank account",
           """Dear Accounts Payable,

Ledgerline has moved to a new bank account. Please use the details below for
the December payment.

Sophie
""")


# =========================================================== lures without a request
def lures(s, z):
    cat = "lure"
    for i, (d, p) in enumerate([("staffperks-rewards.test", "none"), ("talentbridge-recruit.example", "quarantine"),
                                ("cloudvault-storage.test", "none"), ("pcfix-experts.test", "none"),
                                ("umfrage-zentrale.test", "none"), ("emploi-sante.example", "none"),
                                ("nubeplus.test", "none"), ("winterfest-raffle.test", "reject")]):
        z.domain(d, f"192.0.2.{170 + i}", p, (("s1", "rsa"),), key_owner="unrelated", comment="unrelated sender (lures)")
    s.send("lure-survey-giftcard", cat, "flag", "staff survey with a gift card, unrelated authenticated sender", "en",
           ("StaffPerks", "hello@staffperks-rewards.test"), "Complete our 2-minute survey and get a £25 gift card",
           """Hi there,

Healthcare staff like you are invited to complete our survey about
workplace benefits. Everyone who finishes it receives a £25 gift card.

Take the survey: https://staffperks-rewards.test/s/nhw25

The StaffPerks team
""", html=html_of(["Hi there,", "Healthcare staff like you are invited to complete our survey about workplace benefits.",
                   "Everyone who finishes it receives a <b>£25 gift card</b>.",
                   '<a href="https://staffperks-rewards.test/s/nhw25">Take the survey</a>'], "StaffPerks"))
    s.send("lure-job-offer", cat, "quarantine", "offer from a sender the directory does not know (quarantined, releasable by an administrator): recruiter job offer", "en",
           ("Talentbridge Recruitment", "jobs@talentbridge-recruit.example"), "Remote IT support role - £48k",
           """Hello,

I came across your profile and think you'd be a great fit for a remote
position as Senior IT Support Analyst with one of our clients. It's a job
offer worth discussing: salary of £48,000 plus benefits.

Are you free for a quick chat this week?

Kind regards,
Dominic, Recruiter, Talentbridge
""")
    s.send("lure-free-upgrade", cat, "quarantine", "offer from a sender the directory does not know (quarantined, releasable by an administrator): free storage upgrade offer", "en",
           ("CloudVault", "offers@cloudvault-storage.test"), "You qualify for a free upgrade",
           """Good news! Your organisation qualifies for a free upgrade to CloudVault
Business with 2 TB of storage. No credit card required.

The CloudVault team
""")
    s.send("lure-tech-support-offer", cat, "quarantine", "offer from a sender the directory does not know (quarantined, releasable by an administrator): unsolicited tech-support offer without a concrete ask", "en",
           ("PC Fix Experts", "team@pcfix-experts.test"), "Is your computer running slow?",
           """Hello,

Is your computer running slow? Our certified support technician team can
fix it for you. We work with many clinics in your area.

PC Fix Experts
""")
    s.send("lure-umfrage-de", cat, "flag", "German survey with a voucher", "de",
           ("Umfrage-Zentrale", "info@umfrage-zentrale.test"), "Ihre Meinung zählt – 20 € Gutschein",
           """Guten Tag,

nehmen Sie an unserer kurzen Umfrage zur Arbeitszufriedenheit im
Gesundheitswesen teil. Als Dankeschön erhalten Sie einen Gutschein über 20 €.

Ihr Team der Umfrage-Zentrale
""", cte="quoted-printable")
    s.send("lure-emploi-fr", cat, "quarantine", "offer from a sender the directory does not know (quarantined, releasable by an administrator): French job offer", "fr",
           ("Emploi Santé", "recrutement@emploi-sante.example"), "Offre d'emploi : technicien support informatique",
           """Bonjour,

Nous recrutons un technicien support informatique pour une clinique de
Lille. Votre CV a retenu notre attention ; seriez-vous disponible pour un
entretien d'embauche la semaine prochaine ?

L'équipe Emploi Santé
""")
    s.send("lure-actualizacion-es", cat, "quarantine", "offer from a sender the directory does not know (quarantined, releasable by an administrator): Spanish free upgrade offer", "es",
           ("NubePlus", "ofertas@nubeplus.test"), "Actualización gratuita a NubePlus Pro",
           """Hola:

Su cuenta puede pasar a NubePlus Pro con una actualización gratuita durante
un año. Solo tiene que activarla desde su panel.

El equipo de NubePlus
""", cte="base64")
    s.send("lure-raffle", cat, "flag", "prize raffle, urgency", "en",
           ("Winterfest", "prizes@winterfest-raffle.test"), "You have won! Claim your prize",
           """Congratulations! You have won our Winterfest raffle. Claim your prize
before Friday or it will be given to another participant.
""")
    s.send("lure-callback-bait", cat, "quarantine", "callback bait: subscription renewal notice with a phone number to call, from a sender the directory does not know (issue 10: never only flagged; quarantined, since a held message still shows the number)", "en",
           ("CloudVault Billing", "billing@cloudvault-storage.test"), "Your subscription renews tomorrow",
           """Your CloudVault subscription renews tomorrow for £399.99. If you did not
authorise this, call us on +44 20 7946 0999 to cancel.
""", controls=[])
    s.send("lure-tech-support-fr", cat, "quarantine", "offer from a sender the directory does not know (quarantined, releasable by an administrator): French fake tech-support lure without a concrete ask", "fr",
           ("Assistance PC", "contact@pcfix-experts.test"), "Votre ordinateur est lent ?",
           """Bonjour,

Votre ordinateur est lent ? Nos techniciens certifiés peuvent vous aider
avec un diagnostic gratuit. Je peux régler la plupart des problèmes en une
heure.

Assistance PC
""")


# =========================================================== forwarded through mailing lists
def forwarded(s, z):
    cat = "forwarded"
    lst, lst2 = TRUSTED_LISTS

    def fwd(slug, verdict, note, lang, list_domain, vendor_dom, frm, subject, body, upstream=None, controls=None,
            tag="[healthit-forum]", footer=None):
        n = s.c.next_n
        raw = build(n, frm, f"members@{list_domain}", subject, body, lang=lang)
        raw = dkim_sign(raw, vendor_dom)
        ar = upstream or (f"spf=pass smtp.mailfrom={frm[1]}; dkim=pass header.d={vendor_dom}; "
                          f"dmarc=pass header.from={vendor_dom}")
        foot = footer or (f"-- \nYou received this because you are subscribed to {list_domain}.\n"
                          f"Unsubscribe: https://{list_domain}/unsubscribe\n")
        raw = arc_forward(raw, list_domain, ar, foot, subject_tag=tag)
        ip = z.domains[list_domain]["ip"]
        return s.c.add(slug, cat, verdict, note, raw, ip, f"mail.{list_domain}", f"bounces@{list_domain}", lang,
                       controls=controls)

    fwd("trusted-list-bluepeak", "deliver", "vendor (p=reject) post via trusted ARC-sealing list; footer breaks vendor DKIM; AAR dmarc=pass", "en",
        lst, "bluepeak-ms.example", V("bluepeak", "ines.carvalho"), "Slides from the NHS infrastructure meetup",
        """Hello everyone,

Thanks to all who came to Tuesday's meetup. The slides on running hospital
networks with zero-touch provisioning are now on our website. Happy to
answer questions on the list.

Ines Carvalho, Bluepeak Managed Services
""")
    fwd("trusted-list-atalaya-es", "deliver", "Spanish vendor (p=reject) via second trusted list, benign", "es",
        lst2, "atalaya-soluciones.example", V("atalaya", "javier.ortega"), "Jornada técnica sobre copias inmutables",
        """Hola a todos:

El 20 de enero organizamos una jornada técnica sobre copias inmutables y
recuperación ante ransomware. La asistencia es gratuita previa inscripción
en nuestra web.

Javier Ortega, Atalaya Soluciones
""", tag="[regional-ict]")
    fwd("trusted-list-org-staff", "deliver", "org's own staff member (org p=reject) posting to the trusted list, seen on return", "en",
        lst, ORG, staff("Tobias Brandt", "tobias.brandt"), "Experience with Wi-Fi 7 in clinics?",
        """Hi all,

We're planning a Wi-Fi refresh at two clinics next year. Has anyone
deployed Wi-Fi 7 access points in clinical areas yet, and how did the
medical-device compatibility testing go?

Tobias Brandt, Northwind Health
""")
    fwd("trusted-list-upstream-fail", "quarantine", "trusted list seals an upstream DMARC FAIL (spoofed vendor posted to the list): ARC does not vouch", "en",
        lst, "bluepeak-ms.example", V("bluepeak", "marcus.feld"), "Patch advisory for members",
        """All,

Members using Bluepeak-managed firewalls should contact us to schedule the
firmware upgrade.

Marcus
""", upstream="spf=fail smtp.mailfrom=bluepeak-ms.example; dkim=none; dmarc=fail header.from=bluepeak-ms.example")
    fwd("untrusted-list-halvorsen", "quarantine", "vendor (p=quarantine) via an UNTRUSTED list: DMARC fails and is enforced", "en",
        UNTRUSTED_LIST, "halvorsen-imaging.example", V("halvorsen", "lars.moe"), "Webinar: dose management",
        """Hello,

Halvorsen is hosting a webinar on CT dose management on 8 December. All
forum members are welcome.

Lars Moe
""", tag="[openmail]")
    fwd("untrusted-list-bluepeak", "quarantine", "vendor (p=reject) via an UNTRUSTED list, benign content", "en",
        UNTRUSTED_LIST, "bluepeak-ms.example", V("bluepeak", "ines.carvalho"), "Looking for beta testers",
        """Hi all,

We're looking for two or three organisations to beta-test our new
monitoring dashboard in January. Reply off-list if interested.

Ines
""", tag="[openmail]")
    fwd("untrusted-list-atalaya-es", "quarantine", "Spanish vendor (p=reject) via an UNTRUSTED list", "es",
        UNTRUSTED_LIST, "atalaya-soluciones.example", V("atalaya", "nuria.ibanez"), "Nueva guía de buenas prácticas",
        """Hola:

Hemos publicado una guía de buenas prácticas para copias en entornos
sanitarios. Está disponible en nuestra web.

Nuria
""", tag="[openmail]")


# =========================================================== malformed
def malformed(s, z):
    cat = "malformed"
    s.c.add("unparsable", cat, "quarantine", "no header section at all",
            b"GET / HTTP/1.1 this is not mail\r\n\r\nplease reset my password\r\n",
            "203.0.113.200", "scanner.test", "", "en")
    two_from = crlf(f"""From: Northwind IT Service Desk <servicedesk@{ORG}>
From: Helpdesk <helpdesk@cheap-hosting.test>
To: servicedesk@{ORG}
Subject: Verify your account
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <twofrom-1@cheap-hosting.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Please verify your account.
""".encode())
    s.c.add("two-from-headers", cat, "quarantine", "two From headers (one of the org)", dkim_sign(two_from, "cheap-hosting.test"),
            "203.0.113.10", "mail.cheap-hosting.test", "helpdesk@cheap-hosting.test", "en")
    forged = crlf(f"""Authentication-Results: countersign.local; spf=pass smtp.mailfrom={ORG}; dkim=pass header.d={ORG}; dmarc=pass header.from={ORG}
From: Marta Kowalczyk <marta.k.helps@gmail.com>
To: servicedesk@{ORG}
Subject: Re: my ticket
Date: Mon, 23 Nov 2026 11:00:00 +0000
Message-ID: <forged-ar-1@gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi, can you check on my ticket? Thanks.
""".encode())
    s.c.add("forged-auth-results", cat, "quarantine", "carries an Authentication-Results header in our own authserv-id (countersign.local)",
            dkim_sign(forged, "gmail.com"), "198.18.1.10", "mail.gmail.com", "marta.k.helps@gmail.com", "en")
    no_from = crlf(f"""To: servicedesk@{ORG}
Subject: invoice
Date: Mon, 23 Nov 2026 12:00:00 +0000
Message-ID: <nofrom-1@cheap-hosting.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

see attached
""".encode())
    s.c.add("no-from-header", cat, "quarantine", "no From header at all", no_from,
            "203.0.113.10", "mail.cheap-hosting.test", "x@cheap-hosting.test", "en")


# =========================================================== benign near-misses
def near_misses(s, z):
    cat = "benign_near_miss"
    for i, (d, p) in enumerate([("northgate-dental.example", "quarantine"), ("westwind-logistics.test", "reject"),
                                ("halvorsenlaw.example", "none"), ("kestrel-aviation.example", "none"),
                                ("healthit-weekly.example", "none"), ("nordic-ehealth-summit.example", "quarantine"),
                                ("nwa-freight.test", "none"), ("bluepoint-catering.example", "none"),
                                ("ledger-lane.example", "none"), ("quillfeather-press.test", "none")]):
        z.domain(d, f"192.0.2.{200 + i}", p, (("s1", "rsa"),), key_owner="unrelated", comment="unrelated company (near-miss)")
    s.send("nm-northgate-dental", cat, "deliver", "unrelated clinic 'Northgate Dental' (shares only 'north')", "en",
           ("Northgate Dental Reception", "reception@northgate-dental.example"), "Referral letter for your patient",
           """Dear colleagues,

Please find attached the referral letter for the patient we discussed by
phone on Monday. Kindly forward it to the maxillofacial clinic.

Northgate Dental Practice
""", to=f"referrals@{ORG}", attachments=[("referral.pdf", "application/pdf", PDF)])
    s.send("nm-westwind-logistics", cat, "deliver", "unrelated 'Westwind Logistics' (shares 'wind')", "en",
           ("Westwind Logistics", "dispatch@westwind-logistics.test"), "Delivery booked: 24 boxes, Leeds site",
           """Hello,

Your delivery of 24 boxes (order WW-551203) is booked for Thursday between
09:00 and 12:00 at the Leeds goods-in bay.

Westwind Logistics Dispatch
""")
    s.send("nm-halvorsen-law", cat, "deliver", "unrelated law firm 'Halvorsen Law' sharing the surname of the imaging vendor", "en",
           ("Marit Halvorsen", "marit@halvorsenlaw.example"), "Lease renewal - Harrogate clinic",
           """Dear Ms Whitcombe,

Please find attached our comments on the lease renewal for the Harrogate
clinic premises. We can discuss them at your convenience.

Yours sincerely,
Marit Halvorsen
Halvorsen Law
""", to=[("Eleanor Whitcombe", f"eleanor.whitcombe@{ORG}")])
    s.send("nm-kestrel-aviation", cat, "deliver", "unrelated 'Kestrel Aviation' (air ambulance) sharing the word kestrel", "en",
           ("Kestrel Aviation Ops", "ops@kestrel-aviation.example"), "Helipad inspection next week",
           """Hello,

Our annual helipad inspection at the Leeds site is due next Wednesday. Our
team will arrive at 10:00 and report to estates.

Kestrel Aviation Operations
""")
    s.send("nm-newsletter", cat, "deliver", "industry newsletter, HTML, list headers, unsubscribe link", "en",
           ("HealthIT Weekly", "newsletter@healthit-weekly.example"), "HealthIT Weekly: EPR procurement, cloud PACS, and more",
           """This week: EPR procurement trends, cloud PACS adoption, and an interview
with a regional CIO. Read online: https://healthit-weekly.example/issues/412
""", html_of(["<b>This week in HealthIT Weekly</b>",
              '<a href="https://healthit-weekly.example/issues/412#epr">EPR procurement: what trusts learned in 2026</a>',
              '<a href="https://healthit-weekly.example/issues/412#pacs">Cloud PACS adoption doubles</a>',
              '<a href="https://healthit-weekly.example/issues/412#cio">Interview: a regional CIO on consolidation</a>',
              '<small><a href="https://healthit-weekly.example/unsubscribe">Unsubscribe</a></small>']),
           headers=[("List-Unsubscribe", "<https://healthit-weekly.example/unsubscribe>"),
                    ("List-Id", "HealthIT Weekly <weekly.healthit-weekly.example>")])
    s.send("nm-summit-invite-de", cat, "deliver", "conference invitation in German from an unrelated organiser", "de",
           ("Nordic eHealth Summit", "programm@nordic-ehealth-summit.example"), "Einladung: Nordic eHealth Summit 2027",
           """Sehr geehrte Damen und Herren,

wir laden Sie herzlich zum Nordic eHealth Summit am 18. und 19. März 2027 in
Kopenhagen ein. Das Programm finden Sie unter
https://nordic-ehealth-summit.example/programm.

Mit freundlichen Grüßen
Das Programmkomitee
""")
    s.send("nm-nwa-freight", cat, "deliver", "short unrelated domain nwa-freight.test (vs nwh.example)", "en",
           ("NWA Freight", "bookings@nwa-freight.test"), "Collection confirmed",
           """Hello,

Collection of 3 pallets from your Leeds site is confirmed for Friday at
14:00. Reference NWA-77120.

NWA Freight
""")
    s.send("nm-bluepoint-catering", cat, "deliver", "unrelated 'Bluepoint Catering' (vs Bluepeak)", "en",
           ("Bluepoint Catering", "orders@bluepoint-catering.example"), "Catering order for 10 December",
           """Hi,

Thanks for your order: sandwiches and fruit for 40 people on 10 December,
delivered to the canteen at 12:15. Invoice to follow.

Bluepoint Catering
""")
    s.send("nm-ledger-lane", cat, "deliver", "unrelated bookshop 'Ledger Lane' (vs Ledgerline)", "en",
           ("Ledger Lane Books", "orders@ledger-lane.example"), "Your order has shipped",
           """Hello,

Your order of 12 copies of "Clinical Coding Handbook, 5th ed." has shipped
and should arrive on Monday.

Ledger Lane Books
""")
    s.send("nm-quillfeather", cat, "deliver", "unrelated publisher 'Quillfeather Press' (vs Quillon)", "fr",
           ("Quillfeather Press", "editions@quillfeather-press.test"), "Votre abonnement à la revue",
           """Bonjour,

Votre abonnement à la Revue de santé publique a bien été renouvelé pour
2027. Le premier numéro paraîtra en février.

Quillfeather Press
""")
    s.send("nm-overdue-vendor", "vendor_untrusted", "deliver", "approved contact of Corvid Networks, whose review is overdue: benign mail asks nothing to verify and is delivered (the finding stays)", "en",
           V("corvid", "nadia.petrova"), "Switch stock update",
           """Hi Tobias,

The 48-port switches you asked about are back in stock; lead time is now
two weeks. Let me know if you want me to reserve the eight units.

Nadia Petrova
Account Executive, Corvid Networks
""", to=[("Tobias Brandt", f"tobias.brandt@{ORG}")])
    s.send("nm-overdue-vendor-access", "vendor_untrusted", "hold", "overdue privileged vendor's approved contact asks for VPN access for an engineer", "en",
           V("corvid", "nadia.petrova"), "VPN access for the switch rollout",
           """Hi Tobias,

For the switch rollout our engineer needs VPN access for the two weeks of
the project. Could you create an account for him?

Nadia
""", to=[("Tobias Brandt", f"tobias.brandt@{ORG}")], controls=HP)
    s.send("nm-suspended-vendor", "vendor_untrusted", "flag", "approved contact of a suspended vendor (Fernhill), benign order confirmation", "en",
           V("fernhill", "tom.ashdown"), "Order FH-22817 confirmation",
           """Hello,

Thank you for order FH-22817 (toner and A4 paper for the Scarborough site).
Delivery is planned for next Tuesday.

Tom Ashdown
Fernhill Office Supplies
""")
    s.send("nm-vendor-reply-to-subdomain", cat, "deliver", "approved contact with Reply-To on the vendor's own subdomain (support.kestrelid.test)", "en",
           V("kestrel", "ben.hollis"), "[KID-49102] Waiting for your logs",
           """Hello,

We are still waiting for the SAML trace for case KID-49102. Whenever you
have it, just reply to this message; replies go straight to our case queue.

Ben Hollis
Kestrel Identity Support
""", reply_to="cases@support.kestrelid.test", sign=[("kestrelid.test", "rsa1")])


# =========================================================== obfuscation and encodings
def hard_cases(s, z):
    s.send("internal-html-split-base64", "internal_high_risk", "hold",
           "employee's HTML-only, base64-encoded request whose phrase is split across inline tags", "en",
           ("Wei Chen", f"wei.chen@{ORG}"), "laptop",
           html=html_of(['Hi, could you <span style="color:#222">reset</span> <b>my</b> '
                         '<span>password</span>? I changed it on Friday and now nothing accepts it.', "Thanks, Wei"]),
           html_cte="base64", controls=H)
    s.send("dn-zero-width-password", "display_name", "quarantine",
           "'IT Support Team' from gmail, request obfuscated with zero-width spaces and a soft hyphen; relabelled for issue 11: a false claim of who is writing with a high-risk request is quarantined; a callback cannot repair a lie about the sender.", "en",
           ("IT Support Team", "itsupportteam.desk@gmail.com"), "Account verification",
           "Hello,\n\nPlease re\u200bply with your current pass\u200bword and user\u00adname so we can "
           "complete the verification of your account.\n\nIT Support Team\n", cte="quoted-printable")
    z.domain(idn("n\u0585rthwind-health.example"), "203.0.113.180", "none", (("mail", "rsa"),), key_owner="attacker",
             comment="attacker lookalike (Armenian o)")
    s.send("homoglyph-armenian-org", "lookalike_sender", "quarantine",
           "fully authenticated lookalike: Armenian small letter oh for o (punycode) in northwind", "en",
           ("Northwind Health Payroll", "payroll@" + idn("n\u0585rthwind-health.example")), "Payslip correction",
           "Dear colleague,\n\nA correction to your November payslip is available. Please review it on the payroll "
           "page.\n\nPayroll\n")
    s.send("link-www-no-scheme", "replyto_link_lookalike", "quarantine",
           "authenticated unrelated sender, plain-text www. link (no scheme) to a typo of the IAM vendor", "en",
           ("Brightline Events", "events@brightline-events.example"), "Identity summit - speaker portal",
           "Hello,\n\nSpeakers for the identity summit can upload their slides on the Kestrel speaker portal at "
           "www.kestreld.test/speakers before 4 December.\n\nBrightline Events\n")
