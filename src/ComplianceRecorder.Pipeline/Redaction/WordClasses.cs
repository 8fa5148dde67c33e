namespace ComplianceRecorder.Pipeline.Redaction;

/// <summary>What the lexicon knows of a word that bears on names, addresses and birth dates.</summary>
[Flags]
internal enum WordClass : ushort
{
    None = 0,
    /// <summary>An everyday English word: by itself it names no one.</summary>
    Common = 1,
    /// <summary>A function word ("the", "and", "at"): it ends a name and is never part of a street's name.</summary>
    Function = 2,
    StreetSuffix = 4,
    /// <summary>"apartment", "unit", "suite": what follows is part of an address.</summary>
    Unit = 8,
    Month = 16,
    /// <summary>"first" … "thirty first": the token's value is the ordinal.</summary>
    Ordinal = 32,
    /// <summary>"mister", "doctor": a name may follow.</summary>
    Title = 64,
    /// <summary>"husband", "grandmother": a relative's name may follow.</summary>
    Relation = 128,
    /// <summary>"hi", "thanks": a name may follow, as said to someone.</summary>
    Greeting = 256,
    /// <summary>"born", "birthday": a date said beside it is a date of birth.</summary>
    Birth = 512,
    /// <summary>"address", "live", "moved", "zip": a house number said beside it starts an address.</summary>
    Place = 1024,
    /// <summary>"zip", "postal": a five-digit number beside it is a zip code.</summary>
    Zip = 2048,
    /// <summary>Words that introduce a name ("name", "this", "i'm", "speaking", "spell").</summary>
    NameCue = 4096,
}

/// <summary>
/// The closed word lists behind <see cref="WordClass"/>. Names are told from words by context first;
/// these lists only say which words are everyday English (so "i'm calling" or "thanks again" name no
/// one) and which words build an address or a date. No list of people's names or streets is kept.
/// </summary>
internal static class WordLists
{
    public const string Function = """
        a an the and or but nor so yet if then than that this these those there here where when what which who whom whose why how
        i me my mine myself you your yours yourself he him his himself she her hers herself it its itself we us our ours
        they them their theirs themselves one ones someone anyone everyone nobody somebody anybody everybody something anything
        everything nothing is am are was were be been being do does did done have has had having will would shall should can
        could may might must ought to of in on at by for with from into onto upon about above below under over after before
        between through during without within along across around against among toward towards until till since via per
        up down out off away back again also too very just only even still already not no yes yeah yep yup ok okay um uh
        uhm umm er erm ah oh hmm mm like well sure all any some each every both either neither few many much more most other
        another such same own as because while though although whether i'm i've i'll i'd you're you've you'll you'd he's she's
        it's its we're we've we'll they're they've that's there's here's what's who's where's how's let's don't doesn't didn't
        can't couldn't won't wouldn't shouldn't isn't aren't wasn't weren't haven't hasn't hadn't im ive ill id dont cant wont
        different better best worse worst right wrong whole extra
        """;

    // Everyday words of a service call. Kept to what callers and agents say around names and places.
    public const string Common = """
        hi hello hey thanks thank please sorry bye goodbye welcome morning afternoon evening night today tomorrow yesterday
        name names named call called calling calls caller speak speaking spoke talk talking talked say said says tell told ask
        asked asking help helping helped need needs needed want wants wanted wanting get gets got getting give gave given go
        goes going went gone come comes coming came make makes made making take takes took taking see sees saw seen look looks
        looking looked know knows knew think thought try trying tried use using used work works working worked pay paid paying
        check checking checked change changed changing update updated updating move moved moving moves live lives living lived
        send sent sending mail mailed ship shipped deliver delivered keep kept hold holding hope hoping feel felt find found
        put let lets letting wait waiting waited show showed read reading write wrote sign signed open opened close closed cancel
        cancelled canceled add added remove removed verify verified confirm confirmed spell spelled spelling spells mean means
        meant buy bought sell sold rent rented watch watched forget forgot forgotten remember understand understood happen
        happened happens fix fixed charge charged charging bill billed billing drop dropped dropping keeps load loaded
        account accounts card cards number numbers phone address addresses email code codes payment payments plan plans
        service services internet cable bill bills balance credit debit bank order orders package packages delivery policy
        claim claims contract promo offer deal discount fee fees rate rates price cost money dollars cents refund charge
        issue issues problem problems question questions thing things stuff way ways time times day days week weeks month
        months year years hour hours minute minutes moment second seconds while date birthday birth born
        customer customers agent manager supervisor team company office store branch department person people guy guys lady
        family kid kids child children son daughter husband wife mom dad mother father brother sister grandmother grandfather
        grandma grandpa partner friend neighbor aunt uncle cousin niece nephew spouse boyfriend girlfriend parent parents
        myself yourself surname maiden middle initial initials letter letters spell spelling capital lower upper case
        here there again now then soon later already ever never always sometimes usually really actually basically just
        still pretty quite kind sort lot lots bit little big small long short high low good great fine nice bad awful terrible
        perfect correct wrong right true sure okay alright absolutely exactly definitely certainly probably maybe perhaps
        glad happy sad upset angry mad frustrated confused worried afraid ready busy free new old same different main
        important urgent interested wondering trying afraid able unable available late early fast slow easy hard
        yes no not nope yeah yep uh um oh ah wow hmm so and but or also too very
        first last second third next previous other another whole half full
        zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
        eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand double triple oh
        monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
        september october november december weekend
        street road avenue lane drive court place way circle apartment unit suite floor building city town state county
        zip postal home house work place area side left corner block
        gift galaxy pay prime menu period signal system ad app website online store hill art air jordans
        warranty insurance coverage outage router modem device laptop computer tablet
        sick tired unemployed retired married single divorced disabled pregnant employed student
        ridiculous unacceptable annoying crazy insane weird strange outrageous absurd serious
        originally currently recently finally anyway anyways everyone everybody guys folks man buddy mate dude bro honey
        sweetie love team yall kindly tons loads alot holder member subscriber user client patient tenant landlord owner
        homeowner veteran senior student teacher nurse engineer deaf blind elderly home outside inside abroad overseas
        downstairs upstairs done lost stuck late early positive certain aware unaware scared nervous concerned satisfied
        unhappy pleased thrilled excited ill unwell eligible responsible entitled allowed supposed gonna kinda sorta super
        dot com underscore at net org
        broken frozen stolen dead offline gone missing stuck fixed charged overdue due
        american canadian mexican british english spanish french german chinese indian there's nope yes please
        mister missus miss doctor sir madam maam ma'am mr mrs ms dr
        calling speaking regarding concerning about
        doing does goes has says pays uses owns runs handles manages deals sets stays plays leaves picks pulls pushes hangs holds
        covers shares splits receives tries sees thinks knows wants needs takes makes gets calls comes lives works reads writes
        appreciate appreciates appreciated cheers quick quickly hang huh pardon excuse cool awesome gotcha nah meh ugh oops
        whoa gosh geez jeez yikes yay aha hm eh ooh ahh uhh tech support technical sales billing
        honestly seriously literally apparently obviously totally luckily hopefully unfortunately fortunately meanwhile otherwise
        instead nearby somewhere anywhere everywhere
        portuguese italian russian arabic korean japanese vietnamese tagalog polish hindi mandarin cantonese
        """;

    public const string StreetSuffixes = """
        street st avenue ave av road rd lane ln drive dr court ct boulevard blvd way place pl circle cir terrace ter
        parkway pkwy highway hwy trail trl square sq plaza alley crescent loop row path pike point ridge heights
        crossing grove walk cove bend expressway freeway turnpike rue calle avenida via rua close
        """;

    public const string Units = "apartment apt unit suite ste";

    public const string Months = "january february march april may june july august september october november december";

    // by value, from 1: "first" is 1
    public const string Ordinals = """
        first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth
        fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth
        """;

    public const string Titles = "mister mr mrs missus ms miss doctor dr professor prof";

    public const string Relations = """
        husband wife son daughter mother father mom dad mum brother sister grandmother grandfather grandma grandpa
        granddaughter grandson partner spouse boyfriend girlfriend fiance fiancee aunt uncle cousin niece nephew
        friend roommate neighbor neighbour child kid stepson stepdaughter stepmother stepfather
        """;

    public const string Greetings = "hi hello hey thanks thank bye goodbye welcome";

    public const string Birth = "born birth birthday birthday's birthdate dob bday";

    public const string Places = """
        address live lives living located moved move moving ship shipped send mail mailed deliver delivered
        """;

    public const string Zips = "zip zipcode postal postcode";

    public const string NameCues = """
        name name's names surname named called behalf speak this i'm im am speaking myself it's its under spell spelled spelling spells calling call calls
        """;

    /// <summary>Letters spelled out that are everyday acronyms, not a name: "u p s", "a t m", "d o b".</summary>
    public const string Acronyms = """
        ups atm tv dob usa us usb pdf id ok dvd cd pc hd ac dc am pm fyi asap abc nbc cbs cnn hbo bbc irs dmv ssn pin
        sms mms ceo ip vpn dsl isp faq eta mri icu er gps hvac llc inc nyc la dhl tbd
        """;
}
