"""The words around a place name in a free-text query: which words never name a place, which
ones make the next words a place ("in", "near"...), which place names are also everyday words or
first names, and which words qualify a place ("Central London"). Used by
:func:`~mediaground.geo.gazetteer.find_place_in_query`.
"""

from __future__ import annotations

__all__ = ["NEVER", "STRONG", "TRIGGERS", "AMBIGUOUS", "PLACE_FIRST", "DIRECTIONS"]

# Words that never name a place in a query, however written: months, weekdays, seasons, holidays,
# and function words (there are towns called "Of", "May", "March", "Spring", "Summer"...).
NEVER = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday "
    "spring summer autumn fall winter christmas easter halloween thanksgiving "
    "the a an and or of to in at on by for with from near around into onto over under "
    "is are was be me my we us our i it its this that these those you your he she they their "
    "photo photos picture pictures image images video videos".split()
)

# Triggers: a lower-case name counts after one of these; an ambiguous one needs a STRONG one.
STRONG = frozenset({"in", "at", "near", "from", "around", "outside"})
TRIGGERS = STRONG | {"to", "of", "visiting", "visit", "towards", "toward", "via"}

# Keys of the query gazetteer that are also everyday English words (the keys that are lower-case
# entries of Debian's wamerican /usr/share/dict/words; regenerate when the data packages change)
# or common first names / surnames. These match only when capitalised AND after in/at/near/from/around/outside
# ("sunset in Nice", not "nice sunset", "Reading glasses" or "photos of Charlotte"); as alternate
# names ("Lion" for Lyon, "Google" for Topeka) they never match in a query.
_AMBIGUOUS_WORDS = frozenset((
    "acacias acre afar agar airport alabaster ales alley alliance aloha along altos amen ampere "
    "anchorage anew angers angora annex antelope anthem apex arbutus archangel archway ascot "
    "astrakhan auburn awash bade badger bah bake bale balsas bane banes bani bank banning bar barium "
    "barking basic bath baud bay bear begun bell bend bender best billings bimbo bolder bole bologna "
    "bone bong bonito bonny boo boom borne boulder bountiful bow bra brad bras bray brick broach "
    "brusque buckeye buffalo burs bury bush butte butterfly buy cabanas cairns caller can canning "
    "canton capital carpi cascades cassia cassino cat cayenne centennial central centurion chad "
    "chandler chaparral chile chin china chinking chino clay cloverleaf cocoa cognac coin cologne "
    "colon columbine come commonwealth conception concord confederation converse cordon cork corona "
    "cove crystal cypress damask dandy date davenport deal debar debark defiance deli delis delta "
    "derby dig dilly dining dire divas dole dome dour drama drug dual dyer eagle east eastern elk "
    "emirates emporia enterprise erode est eureka evergreen falcon fate federal felling fiche "
    "fiddlesticks fishers flagstaff fleet flint flora florin fords forest fountain fowling gap "
    "garland garner gay genes gent god goes gold golden gondola google gore grapevine grays green "
    "grenade griffin grins groves guinea hail hale hang harrow hawthorn hays hem hermitage hexing "
    "hickory highland hillside hims hippo hire hit ho holiday homburg homestead honcho hook horde "
    "horn hosanna hove hub hue hull humble hums humus hurricane imperial independence jam japan "
    "jasper jersey jingling kale karakul kens keystone kilo lakes lama lancing lander largo lattes "
    "laurel leek leer lend lens liberal liberty lice lids liege lime limerick limo linden lints lion "
    "lira lisle littoral logos lone lop luau luck madras magenta magnesia maidenhead male man manage "
    "manga manger mango manly manning mantilla maracas marina maritime marks martin mascara mascot "
    "mason mecca medias megalopolis mentor meres meridian mesa meshed mesquite meta metro midland "
    "midlands midstream midway mile mine minster mission mite mobile mocha mono monster morocco moron "
    "moss most much muscat mustang name natal neath newton nice normal northeast northern ocher ode "
    "officer ogre okay opportunity oral orange orchards oriental overland oxford pa pace paisley "
    "panda panorama papa papaya paradise paramount pare parole pastas pearl pecs peer pen perm pert "
    "pest pets phoenix pinto piranhas pita plantation plaque plateau plateaux plum plunge police pop "
    "portage posse pout pristine prosper providence pueblo puma punch quarto queens quiche reading "
    "republic reservoir rest retreat reunion revel revere rho rich rivers riverside roan rogers roles "
    "roman roses rosette rouge rouse rugby ruse rye saga sake saki sale salt samba same sandy sari "
    "saris savage savanna savannah save say seaside sector sedan semi senna shanghai shaping shone "
    "shoreline shush silvan sim simmering sine sire slough soli solo soul sour souse southern "
    "southwest sparks split spoken springs sriracha stains sterling stoke stow sue sues sulphur "
    "summit sumo sunning sunrise sunset superior surprise surrey swords sycamore tamale tame tangier "
    "tango tank tape tars tartar tempi temple tequila terminus terrace than thorn time ting tire tiro "
    "tome tooting torn torrent tors tour tours trident troy tuba tubas tucker tulle tunas tunes "
    "turkey turn tyros union unity university upland uptown valence van vermilion vicar victor vine "
    "vineyard vise vista wadi wales walker walnut warder ware warren wean wedding weir welling "
    "wellington west westerly western wetter wheeling woodland woodlands worms wright ye yoga young "
).split())
_AMBIGUOUS_NAMES = frozenset((
    "adam adams adelaide alberton alexandria alice allen alma anderson ann anna aurora austin beverly "
    "bradley brandon brittany bryan camden campbell carmel carolina carson charlotte chelsea chester "
    "cleveland clifton clinton columbus dallas david davis dayton denver diana dolores donna douglas "
    "eden edison edmond elgin elizabeth eugene evans florence flores franklin frederick garcia "
    "garfield gary george georgia gilbert gloria graham hamilton harrison harvey helena houston "
    "howard hudson irving isabela jackson jordan julia kent kim kingston kyle lafayette lawrence leon "
    "lincoln linda logan lopez lorain lowell lucas madison mariana marilia marion marshall martinez "
    "mary mercedes milton mitchell monroe moore murphy murray nancy nelson norman parker patterson "
    "perry pilar preston quincy raleigh ramon randolph regina richardson richmond rivera rodriguez "
    "rosario roy sebastian sherman shirley sofia soledad sophia stanley stephenville sydney taylor "
    "teresa torres trinidad tyler valencia victoria vincent virginia warwick washington wayne wilson "
    "winston zachary "
).split())
AMBIGUOUS = _AMBIGUOUS_WORDS | _AMBIGUOUS_NAMES
# ...except these, which are the place first: they match whenever capitalised or after a trigger.
PLACE_FIRST = frozenset("""
    china japan chile morocco shanghai tangier astrakhan bologna oxford wellington cologne wales emirates
    mecca madras liege
    adelaide alexandria cleveland columbus dallas denver houston sydney valencia washington georgia richmond
    virginia""".split())

# "East London", "Central Paris", "Downtown Chicago": the place is what follows, if bigger.
DIRECTIONS = frozenset("north south east west northern southern eastern western central downtown upper lower "
                       "greater old".split())
