#!/usr/bin/env python3
"""Writes spoken-calls.jsonl: call-style utterances in the redact verb's format, with `leak` (values that
must not survive) and `keep` (text that must), scored by ../shared/eval/score_redaction.py.
Sensitive spans are marked inline as {{value}}; digits are read from them the way the scorer reads them;
{{t:value}} is a name, a street or a spoken date, judged as text (the scorer's kind "text")."""
import json, re, sys
sys.path.insert(0, "../../../../../shared/eval")
UNITS = "zero one two three four five six seven eight nine".split()
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = {"twenty": 2, "thirty": 3, "forty": 4, "fifty": 5, "sixty": 6, "seventy": 7, "eighty": 8, "ninety": 9}
def digits(text):
    toks = re.findall(r"[a-z]+|\d", text.lower()); out, i, mult = [], 0, 1
    while i < len(toks):
        t = toks[i]
        if t.isdigit(): out.append(t * mult); mult = 1
        elif t in ("double", "triple"): mult = 2 if t == "double" else 3; i += 1; continue
        elif t in UNITS or t == "oh": out.append(("0" if t == "oh" else str(UNITS.index(t))) * mult); mult = 1
        elif t in TEENS: out.append(str(10 + TEENS.index(t)))
        elif t in TENS:
            if i + 1 < len(toks) and toks[i + 1] in UNITS[1:]: out.append(str(TENS[t] * 10 + UNITS.index(toks[i + 1]))); i += 1
            else: out.append(str(TENS[t] * 10))
        i += 1
    return "".join(out)

CALLS = [
  ("pay-1", [
    ("A", "Thanks for calling, how can I help you today?"),
    ("C", "Hi, I want to pay my bill of 84 dollars and 50 cents."),
    ("A", "Sure, can I get the long card number?"),
    ("C", "Yeah it's {{four five three nine}}", False),
    ("C", "Yeah it's {{four five three nine, one four eight eight}}", False),
    ("C", "Yeah it's {{four five three nine, one four eight eight, oh three four three, six four six seven}}"),
    ("A", "And the expiration date?"),
    ("C", "{{oh nine twenty eight}}"),
    ("A", "And the security code on the back?"),
    ("C", "it's {{eight one two}}"),
    ("A", "Great, I've processed 84 dollars and 50 cents, your confirmation number is 7731."),
  ]),
  ("pay-2", [
    ("A", "What card would you like to use today?"),
    ("C", "My Visa, the number is {{4716 2190 3349}}"),
    ("C", "{{8815}}, expiring {{eleven twenty seven}}."),
    ("A", "So that's a card ending in {{8815}}, correct?"),  # the last four alone: masked, unless Recorder:KeepCardLastFour
    ("C", "Correct."),
    ("A", "And the CVV?"),
    ("C", "um {{three three oh}}"),
    ("A", "Thanks. That's 2 payments of 120 dollars, the first on June 3rd."),
  ]),
  ("pay-3", [
    ("C", "I need to update the card on file, the new one is {{five five five five, five five five five, five five five five, four four four four}}."),
    ("A", "Got it. What's the expiry?"),
    ("C", "{{oh two slash thirty}}"),
    ("A", "and the three digits on the back please"),
    ("C", "{{double seven one}}"),
    ("A", "Thanks, that card is saved. Anything else today?"),
    ("C", "How long does a refund take, like 5 to 7 days?"),
    ("A", "Usually 3 to 5 business days."),
  ]),
  ("id-1", [
    ("A", "For verification, can I have the last four of your social?"),
    ("C", "sure it's {{six two one nine}}"),
    ("A", "And your date of birth?"),
    ("C", "{{t:March 14th, 1986}}."),
    ("A", "Thank you, you're verified. I see 2 open tickets on the account."),
  ]),
  ("id-2", [
    ("A", "Can you give me your full social security number?"),
    ("C", "{{one two three}}", False),
    ("C", "{{one two three, four five}}", False),
    ("C", "{{one two three, four five, six seven eight nine}}"),
    ("A", "Thank you. I'm opening case 80412 for you now."),
  ]),
  ("phone-1", [
    ("A", "What's the best number to reach you?"),
    ("C", "{{five five five}}", False),
    ("C", "{{five five five, two one two}}", False),
    ("C", "{{five five five, two one two, nine eight seven six}}"),
    ("A", "Let me read that back, {{555 212 9876}}?"),
    ("C", "Yes. Call me after 6 pm, I'm in a meeting until 5:30."),
  ]),
  ("phone-2", [
    ("C", "You can text me at {{(617) 555-0142}} or call my work line {{617-555-0199}} extension 204."),
    ("A", "Thanks, I've noted both. Your order 55102 ships in 2 days."),
  ]),
  ("email-1", [
    ("A", "What email should we send the receipt to?"),
    ("C", "it's {{maria dot lopez at gmail dot com}}"),
    ("A", "Got it, {{maria.lopez@gmail.com}}. You'll get it in about 10 minutes."),
  ]),
  ("email-2", [
    ("C", "my email is {{jsmith underscore 84 at outlook dot com}}"),
    ("A", "Thanks. Version 3.2 of the app should fix that, it's about 45 megabytes."),
  ]),
  ("bank-1", [
    ("A", "Please give me your routing number."),
    ("C", "{{zero two one zero zero zero zero two one}}"),
    ("A", "And the account number?"),
    ("C", "{{four four seven one, two zero nine three, eight}}"),
    ("A", "Thanks, the transfer of 1,500 dollars will post in 1 to 2 business days."),
  ]),
  ("pin-1", [
    ("A", "Please enter or say your PIN."),
    ("C", "{{nine nine one four}}"),
    ("A", "Thank you. Your balance is 2,340 dollars and 17 cents."),
  ]),
  ("plain-1", [
    ("C", "I bought 3 tickets for the 7:45 show on the 12th and paid 96 dollars."),
    ("A", "I see order number 4471 for 3 tickets, row 12, seats 4 to 6."),
    ("C", "Right, and my flight is at 10 30, gate 22."),
    ("A", "No problem, I'll call you back in 15 minutes or so."),
  ]),
  ("plain-2", [
    ("C", "We have about 250 users on version 2.4.1 and 40 more on 2.5."),
    ("A", "Okay, case 19920 is open, priority 2, I'll update you within 24 hours."),
    ("C", "oh okay, one moment please."),
  ]),
  ("readback-1", [
    ("C", "the card is {{four one one one, one one one one, one one one one, one one one one}}"),
    ("A", "So that's {{4111 1111 1111 1111}}, expiring {{04/27}}?"),
    ("C", "yes that's right"),
  ]),
  # names, addresses and dates of birth (issue 18): other names, streets and phrasings than the public dev set
  ("people-1", [
    ("A", "thank you for calling contoso energy, my name is {{t:priyanka}}, who do i have on the line?"),
    ("C", "hey {{t:priyanka}}, it's {{t:bartholomew okonkwo}}", False),
    ("C", "hey {{t:priyanka}}, it's {{t:bartholomew okonkwo}} calling about a late fee"),
    ("A", "thanks mister {{t:okonkwo}}, can you spell the last name for me?"),
    ("C", "{{t:o k o}}", False),
    ("C", "{{t:o k o n k w o}}"),
    ("A", "perfect, and is there a grace period on that fee? let me check"),
  ]),
  ("people-2", [
    ("A", "what's the address on the account?"),
    ("C", "it's {{t:742 tamarind boulevard, apartment 9}}, {{05412}}"),
    ("A", "so {{t:seven four two tamarind boulevard}}, got it, and your date of birth?"),
    ("C", "{{t:july ninth nineteen seventy two}}"),
    ("A", "thanks, your appointment is on july ninth at 3 pm, does that work?"),
    ("C", "yes, i hope so, will you send a reminder to the main office?"),
  ]),
  ("people-3", [
    ("A", "hi you're speaking with {{t:tobias}} at woodgrove insurance"),
    ("C", "hi {{t:tobias}} this is {{t:marguerite deveraux}}, my son {{t:lorcan}} has a question about his claim"),
    ("C", "also my dob is {{11 02 1958}} if you need it"),
    ("C", "we live at {{t:eighty eight quillfeather lane}} now"),
    ("A", "okay i've noted {{t:88 quillfeather lane}}, and the billing is due on the fifth of may"),
    ("C", "the package came by u p s and i paid with my visa platinum"),
  ]),
  ("split-1", [
    ("C", "my number is {{4539 1488}}"),
    ("C", "{{0343 6467}}"),
    ("A", "Thanks, and how many items were on the order?"),
    ("C", "Just 2."),
  ]),
]

# Names, addresses and dates of birth with other names, streets and phrasings than the public dev set has, written
# before the redactor was run on them (issue 18's generalisation check). {{n:value}} is neither leak nor keep (a city,
# a birth year alone, an apartment), as the dev set's README has it.
NAMES_CALLS = [
  ("gen-greet", [
    ("A", "good morning, you're speaking with {{t:chinwe}} at contoso mobile, who do i have the pleasure of speaking with?"),
    ("C", "oh hi {{t:chinwe}}, it's {{t:bartholomew kowalczyk}}"),
    ("A", "thanks mister {{t:kowalczyk}}, can you confirm the address on the account?"),
    ("C", "yeah it's {{t:one forty two juniper terrace}}, {{n:bozeman}} montana"),
    ("A", "perfect, and your date of birth?"),
    ("C", "{{t:august twenty ninth}} {{n:nineteen seventy}}"),
    ("A", "great, you'll hear the main menu again if you call back after hours"),
  ]),
  ("gen-spell", [
    ("A", "thank you for holding, what name should i put the order under?"),
    ("C", "put it under {{t:anneliese}}"),
    ("A", "and the last name?"),
    ("C", "it's {{t:szekely}}, {{t:s as in sam, z as in zebra, e k e l y}}"),
    ("A", "got it, {{t:anneliese szekely}}, the order will ship with a grace period of 30 days"),
    ("C", "i hope so, will it come by u p s or fedex"),
  ]),
  ("gen-crescent", [
    ("A", "what's the service address please?"),
    ("C", "um {{t:seventeen harrowgate crescent}}"),
    ("A", "{{t:seventeen harrowgate crescent}}, and the zip?"),
    ("C", "{{nine eight one oh two}}"),
    ("A", "okay i have {{t:17 harrowgate crescent}}, your appointment is on march fourth at 10 am"),
    ("C", "march fourth works, thanks"),
  ]),
  ("gen-parkway", [
    ("C", "hello, my name is {{t:oluwadamilare}} and i moved to {{t:two thousand six hundred ellsworth parkway}}"),
    ("A", "welcome {{t:oluwadamilare}}, can i get your surname as well?"),
    ("C", "{{t:oyelowo-fairweather}}"),
    ("A", "thanks, and your d o b?"),
    ("C", "{{t:the ninth of november}} {{n:eighty two}}"),
    ("A", "thank you, your billing date stays the fifteenth of each month"),
  ]),
  ("gen-way", [
    ("A", "this is {{t:rashida}} with fabrikam bank, am i speaking with the account holder?"),
    ("C", "yes you're speaking with {{t:anatoly volkonsky}}"),
    ("A", "hi {{t:anatoly}}, what's the mailing address?"),
    ("C", "{{t:four oh nine kestrel way}}, {{n:unit twelve}}"),
    ("A", "and for security, your date of birth?"),
    ("C", "{{oh seven one one six four}}"),
    ("A", "thanks, i've sent the visa platinum card to {{t:409 kestrel way}}"),
  ]),
  ("gen-relatives", [
    ("C", "i'm calling for my mother, her name is {{t:xiuying}}, she can't hear well"),
    ("A", "i'm sorry to hear that, and her last name?"),
    ("C", "{{t:zhou}}, {{t:z h o u}}"),
    ("A", "thank you, and her date of birth?"),
    ("C", "she was born {{t:december second}} {{n:nineteen forty}}"),
    ("A", "okay, can i ask your name too since you're calling on her behalf?"),
    ("C", "sure, i'm {{t:wenjie}}, her son"),
  ]),
  ("gen-title", [
    ("A", "am i speaking with doctor {{t:abernathy-quist}}?"),
    ("C", "yes this is she"),
    ("A", "doctor {{t:abernathy-quist}}, we have your new address as {{t:eleven ninety one tamarind boulevard}}"),
    ("C", "that's right, we moved in june"),
    ("A", "and the order of air jordans you placed on friday will go there"),
  ]),
  ("gen-answer", [
    ("A", "can i get your full name please?"),
    ("C", "uh {{t:ifeoma nwachukwu-lindqvist}}"),
    ("A", "and the street address?"),
    ("C", "{{t:three thirty three bramblewood close}}"),
    ("A", "your next appointment is tuesday the fourteenth of october"),
    ("C", "okay, will somebody call me before"),
  ]),
  ("gen-agent", [
    ("A", "hi there, {{t:mateus}} speaking, how can i help?"),
    ("C", "hey {{t:mateus}}, i need to change the name on the policy"),
    ("A", "sure, what's the new name?"),
    ("C", "{{t:priyamvada raghunathan}}"),
    ("A", "and can you spell the first name?"),
    ("C", "{{t:p r i y a m v a d a}}"),
    ("A", "lovely, i'll send you to the main menu when we're done"),
  ]),
  ("gen-dob", [
    ("A", "to verify, what is your birthdate?"),
    ("C", "it's {{t:the thirty first of january}} {{n:nineteen ninety}}"),
    ("C", "oh wait, {{t:january thirtieth}}, sorry"),
    ("A", "no problem, your payment is due may fifth"),
  ]),
  ("gen-suite", [
    ("C", "please send the invoice to {{t:fifty five quarry hill road}}, {{n:suite 300}}"),
    ("A", "{{t:fifty five quarry hill road}}, got it, that will arrive within 5 business days"),
    ("C", "great, and it's {{t:jaroslav}} again if anyone asks"),
  ]),
]

def line(call, i, who, text, final):
    leak, plain, keep = [], "", []
    for part in re.split(r"(\{\{.*?\}\})", text):
        if part.startswith("{{"):
            v = part[2:-2]
            if v.startswith("n:"):
                v = v[2:]
            elif v.startswith("t:"):
                v = v[2:]
                leak.append({"kind": "text", "value": v.lower(), "entity": "PERSON"})
            elif "@" in v or " at " in v:
                e = v.replace(" dot ", ".").replace(" underscore ", "_").replace(" at ", "@").replace(" ", "")
                leak.append({"kind": "email", "value": e.lower(), "entity": "EMAIL_ADDRESS"})
            else:
                leak.append({"kind": "digits", "value": digits(v), "entity": "SPOKEN"})
            plain += v
        else:
            plain += part
            k = part.strip(" ,.?")
            if len(k) >= 4: keep.append(k)
    return {"conversationId": call, "utteranceId": f"{call}-u{i:02d}", "channel": "INTERNAL" if who == "A" else "EXTERNAL",
            "isFinal": final, "text": plain, "leak": leak, "keep": keep, "tag": "SPOKEN" if leak else "none"}

def write(path, calls):
    with open(path, "w") as f:
        for call, turns in calls:
            u = 0
            for t in turns:
                who, text, final = (t + (True,))[:3]
                f.write(json.dumps(line(call, u, who, text, final)) + "\n")
                if final: u += 1

write("spoken-calls.jsonl", CALLS)
write("spoken-names.jsonl", NAMES_CALLS)
