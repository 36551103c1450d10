#!/usr/bin/env python3
"""Write a deterministic benchmark corpus for `samvydav add --from`.

    gen_corpus.py [--items N] [--seed S] [--jobs J] [--small] OUTDIR

OUTDIR gets N item folders (default 20,000), each with meta.json and body.md,
and one in ten also a photo.jpg of random bytes (16-256 KiB). With --small
(the million-item corpus), bodies are 300-1,500 bytes, one item in a hundred
has a photo of 2-16 KiB, one in twenty has no publication date, and the
folders are named item-0000000 (seven digits). The text is
multilingual Markdown (uk, ru, en, fr, el, pt, es, it, sk, de) drawn from
per-language word lists, the titles and bylines of the seed corpus, and
pseudo-words made by a letter-level Markov chain trained on those lists, so
each language has its own script and letter frequencies and the bodies
compress roughly like real prose (about 3x with zstd), neither like random
bytes nor like one phrase repeated.

Every item is made from its own random generator, seeded by (seed, index),
so the output is byte-for-byte the same on every run and for any --jobs.
Python 3 standard library only.
"""

import argparse
import bisect
import itertools
import json
import multiprocessing
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_FILE = os.path.join(HERE, "..", "data", "corpus", "seed-articles.json")

# Common words first (they get the high Zipf ranks), then words of the
# subject: occupation, war, testimony, rights, labour.
WORDS = {
    "uk": """і в на що не з до як це та за про його у від але він вони ми був була було
        так вже ще коли де який яка які тому бо цей ця після під час через між для
        щоб також тільки може можна треба людей люди місто села році року день
        окупація окупованих територій війна війни російські військові солдати
        мешканці жителі свідчення свідок розповіла розповів сказав сказала журналіст
        редакція херсон запоріжжя маріуполь мелітополь донецьк луганськ крим бердянськ
        нова каховка енергодар окупанти полон полонених катування допит фільтрація
        табір депортація діти родини волонтери гуманітарна допомога евакуація
        вода світло газ зв'язок інтернет школа лікарня ринок паспорт документи
        референдум адміністрація комендатура блокпост обстріл ракета вибух підвал
        профспілка шахтарі робітники права людини свобода слова правда пам'ять
        українська мова громада опір підпілля звільнення звільнені повернення
        страх тиша ніч ранок вулиця будинок квартира сусіди мати батько син донька""",
    "ru": """и в не на что с по как это он она они мы был была было так уже еще когда где
        который которая которые потому что после под время через между для чтобы
        также только может можно надо людей люди город села году день оккупация
        оккупированных территорий война войны российские военные солдаты жители
        свидетельство свидетель рассказала рассказал сказал сказала журналист
        херсон запорожье мариуполь мелитополь донецк луганск крым бердянск
        оккупанты плен пленных пытки допрос фильтрация лагерь депортация дети
        семьи волонтеры гуманитарная помощь эвакуация вода свет газ связь интернет
        школа больница рынок паспорт документы референдум администрация
        комендатура блокпост обстрел ракета взрыв подвал профсоюз шахтеры рабочие
        права человека свобода слова правда память украинский язык сопротивление
        освобождение возвращение страх тишина ночь утро улица дом квартира соседи""",
    "en": """the of and to in a that is was for on it with as he she they we his her by
        at from but not had have has this which were been their when there after
        would who about into more than also only other people city villages year
        day occupation occupied territories war russian soldiers troops residents
        testimony witness told said says journalist union workers miners rights
        human freedom speech truth memory ukrainian language resistance liberation
        kherson zaporizhzhia mariupol melitopol donetsk luhansk crimea berdyansk
        occupiers captivity prisoners torture interrogation filtration camp
        deportation children families volunteers humanitarian aid evacuation water
        electricity gas internet school hospital market passport documents
        referendum administration checkpoint shelling missile explosion basement
        fear silence night morning street house apartment neighbours mother father""",
    "fr": """le la les de des du et à en un une que qui est dans pour pas sur au aux par
        plus avec ne se il elle ils nous ont était été sont leur mais comme après
        aussi seulement autres personnes ville villages année jour occupation
        occupés territoires guerre russes soldats troupes habitants témoignage
        témoin raconte dit déclare journaliste syndicat travailleurs mineurs
        droits humains liberté parole vérité mémoire ukrainienne langue résistance
        libération kherson zaporijia marioupol mélitopol donetsk louhansk crimée
        occupants captivité prisonniers torture interrogatoire filtration camp
        déportation enfants familles bénévoles aide humanitaire évacuation eau
        électricité école hôpital marché passeport référendum administration
        bombardements missile explosion cave peur silence nuit matin rue maison""",
    "el": """και το η ο οι τα του της των να σε με για από που δεν είναι ήταν θα στην
        στο στη στους στις ένα μια αυτό αυτή μετά όταν όπου επίσης μόνο άλλοι
        άνθρωποι πόλη χωριά χρόνια μέρα κατοχή κατεχόμενες περιοχές πόλεμος
        ρώσοι στρατιώτες κάτοικοι μαρτυρία μάρτυρας είπε δήλωσε δημοσιογράφος
        συνδικάτο εργάτες ανθρακωρύχοι δικαιώματα ελευθερία αλήθεια μνήμη
        ουκρανική γλώσσα αντίσταση απελευθέρωση χερσώνα ζαπορίζια μαριούπολη
        κατακτητές αιχμάλωτοι βασανιστήρια ανάκριση στρατόπεδο εκτοπισμός
        παιδιά οικογένειες εθελοντές ανθρωπιστική βοήθεια εκκένωση νερό
        ρεύμα σχολείο νοσοκομείο αγορά διαβατήριο δημοψήφισμα βομβαρδισμός
        πύραυλος έκρηξη υπόγειο φόβος σιωπή νύχτα πρωί δρόμος σπίτι γειτονιά""",
    "pt": """o a os as de do da dos das e em no na um uma que para com por não se mais
        como mas foi era são ao pelo pela seu sua eles elas nós depois também
        apenas outros pessoas cidade aldeias ano dia ocupação ocupados territórios
        guerra russos soldados tropas moradores testemunho testemunha contou disse
        jornalista sindicato trabalhadores mineiros direitos humanos liberdade
        verdade memória ucraniana língua resistência libertação querson
        zaporíjia mariupol ocupantes cativeiro prisioneiros tortura interrogatório
        filtração campo deportação crianças famílias voluntários ajuda humanitária
        evacuação água eletricidade escola hospital mercado passaporte referendo
        bombardeio míssil explosão porão medo silêncio noite manhã rua casa""",
    "es": """el la los las de del y en un una que para con por no se más como pero fue
        era son al su sus ellos ellas nosotros después también solo otros personas
        ciudad pueblos año día ocupación ocupados territorios guerra rusos
        soldados tropas vecinos testimonio testigo contó dijo periodista sindicato
        trabajadores mineros derechos humanos libertad verdad memoria ucraniana
        lengua resistencia liberación jersón zaporiyia mariúpol ocupantes
        cautiverio prisioneros tortura interrogatorio filtración campo
        deportación niños familias voluntarios ayuda humanitaria evacuación agua
        electricidad escuela hospital mercado pasaporte referéndum bombardeo
        misil explosión sótano miedo silencio noche mañana calle casa""",
    "it": """il la i gli le di del della dei e in un una che per con non si più come ma
        è era sono al alla suo sua loro noi dopo anche solo altri persone città
        villaggi anno giorno occupazione occupati territori guerra russi soldati
        truppe abitanti testimonianza testimone racconta detto giornalista
        sindacato lavoratori minatori diritti umani libertà verità memoria ucraina
        lingua resistenza liberazione cherson zaporižžja mariupol occupanti
        prigionia prigionieri tortura interrogatorio filtraggio campo deportazione
        bambini famiglie volontari aiuti umanitari evacuazione acqua elettricità
        scuola ospedale mercato passaporto referendum bombardamento missile
        esplosione cantina paura silenzio notte mattina strada casa""",
    "sk": """a v na sa je že to s z do o za ako ale aj by bol bola bolo sú sme ich jeho
        jej po keď kde ktorý ktorá ktoré tiež len iní ľudia mesto dediny roku deň
        okupácia okupované územia vojna ruskí vojaci obyvatelia svedectvo svedok
        povedala povedal novinár odbory robotníci baníci ľudské práva sloboda
        pravda pamäť ukrajinský jazyk odpor oslobodenie cherson záporožie
        mariupol okupanti zajatie zajatci mučenie výsluch filtrácia tábor
        deportácia deti rodiny dobrovoľníci humanitárna pomoc evakuácia voda
        elektrina škola nemocnica trh pas referendum ostreľovanie raketa výbuch
        pivnica strach ticho noc ráno ulica dom byt susedia matka otec""",
    "de": """der die das und in zu den von mit ist nicht sich des auf für im dem ein eine
        als auch es an er sie wir war hat haben wurde wurden nach wenn wo nur
        andere menschen stadt dörfer jahr tag besatzung besetzten gebieten krieg
        russische soldaten truppen bewohner zeugenaussage zeuge erzählte sagte
        journalist gewerkschaft arbeiter bergleute menschenrechte freiheit
        wahrheit erinnerung ukrainische sprache widerstand befreiung cherson
        saporischschja mariupol besatzer gefangenschaft gefangene folter verhör
        filtration lager deportation kinder familien freiwillige humanitäre
        hilfe evakuierung wasser strom schule krankenhaus markt pass referendum
        beschuss rakete explosion keller angst stille nacht morgen straße haus""",
}

# People's names in each language's own script, beside the seed bylines.
NAMES = {
    "uk": "Олена Коваль|Андрій Шевчук|Ірина Мельник|Тарас Бондаренко|Наталія Левицька|Оксана Ткаченко|Віктор Кравченко|Марія Поліщук",
    "ru": "Анна Смирнова|Игорь Петров|Елена Соколова|Дмитрий Волков|Ольга Морозова",
    "el": "Μαρία Παπαδοπούλου|Γιώργος Νικολάου|Ελένη Γεωργίου",
    "de": "Katrin Müller|Jürgen Schäfer|Anna Weiß",
    "sk": "Mária Kováčová|Peter Horváth|Ľubica Šimková",
    "fr": "Élise Martin|François Dubois|Chloé Lefèvre",
    "es": "María José Núñez|Jorge Peña",
    "pt": "João Conceição|Inês Gonçalves",
    "it": "Giulia Rossi|Niccolò Bianchi",
    "en": "Sarah Collins|David Ward",
}

REGIONS = ["Kherson", "Zaporizhzhia", "Donetsk", "Luhansk", "Crimea", "Mariupol",
           "Melitopol", "Berdiansk", "Nova Kakhovka", "Enerhodar", "Kharkiv",
           "Sevastopol"]
TAGS = ["filtration", "deportation", "torture", "labour", "unions", "children",
        "schools", "passports", "referendum", "humanitarian", "evacuation",
        "resistance", "language", "religion", "media", "prisoners", "energy"]
# Share of items per language (uk and en lead, as in the archive's users).
LANG_WEIGHTS = {"uk": 24, "en": 22, "ru": 12, "fr": 10, "de": 6, "sk": 5, "es": 6,
                "pt": 5, "it": 5, "el": 5}

PSEUDO_WORDS = 2500   # extra words per language: a real text's long tail
ZIPF_S = 1.0          # word rank exponent


def markov_words(words, count, rng):
    """Make `count` new words from a letter-level order-2 Markov chain trained
    on `words`, so they have the language's letters and letter pairs."""
    chain = {}
    for w in words:
        w = "^^" + w + "$"
        for i in range(len(w) - 2):
            chain.setdefault(w[i:i + 2], []).append(w[i + 2])
    seen = set(words)
    out = []
    while len(out) < count:
        state, word = "^^", ""
        while True:
            c = rng.choice(chain[state])
            if c == "$" or len(word) > 14:
                break
            word += c
            state = state[1] + c
        if len(word) >= 2 and word not in seen:
            seen.add(word)
            out.append(word)
    return out


def build_languages(seed):
    """Per language: vocabulary (ranked), cumulative Zipf weights, titles, names."""
    with open(SEED_FILE, encoding="utf-8") as f:
        seed_items = json.load(f)["items"]
    langs = {}
    for lang in sorted(WORDS):
        rng = random.Random("%s:vocab:%s" % (seed, lang))
        base = WORDS[lang].split()
        titles = [it["title"] for it in seed_items if it.get("lang") == lang]
        bylines = [it["byline"] for it in seed_items
                   if it.get("lang") == lang and it.get("byline")]
        # words of the seed titles join the real vocabulary
        extra = []
        for t in titles:
            for w in t.split():
                w = w.strip("«»\"'‘’“”:;,.!?()").lower()
                if w.isalpha() and w not in base and w not in extra:
                    extra.append(w)
        real = base + extra
        vocab = real + markov_words(real, PSEUDO_WORDS, rng)
        # Zipf over ranks, but shuffle the long tail so pseudo-words mix in
        head, tail = vocab[:60], vocab[60:]
        rng.shuffle(tail)
        vocab = head + tail
        cum = list(itertools.accumulate(1.0 / (r + 1) ** ZIPF_S for r in range(len(vocab))))
        names = NAMES[lang].split("|") + bylines
        langs[lang] = {"vocab": vocab, "cum": cum, "titles": titles, "names": names}
    return langs


LANGS = None
ARGS = None


def sentence_text(rng, lang, nwords):
    L = LANGS[lang]
    words = rng.choices(L["vocab"], cum_weights=L["cum"], k=nwords)
    words[0] = words[0][:1].upper() + words[0][1:]
    # a comma now and then, as real sentences have
    if nwords > 8:
        i = rng.randrange(3, nwords - 3)
        words[i] += ","
    end = "." if rng.random() < 0.9 else ("?" if rng.random() < 0.5 else "!")
    return " ".join(words) + end


def make_body(rng, lang, title, target):
    """Markdown of about `target` bytes (cut at a word, never inside a letter)."""
    parts = ["# " + title, ""]
    size = len(parts[0].encode()) + 2
    while size < target:
        r = rng.random()
        if r < 0.08:
            block = "## " + sentence_text(rng, lang, rng.randint(3, 7)).rstrip(".?!")
        elif r < 0.15:
            block = "\n".join("- " + sentence_text(rng, lang, rng.randint(4, 12))
                              for _ in range(rng.randint(2, 5)))
        elif r < 0.22:
            block = "> " + " ".join(sentence_text(rng, lang, rng.randint(6, 20))
                                    for _ in range(rng.randint(1, 3)))
        else:
            block = " ".join(sentence_text(rng, lang, rng.randint(5, 24))
                             for _ in range(rng.randint(2, 7)))
        parts.append(block)
        parts.append("")
        size += len(block.encode()) + 2
    data = "\n".join(parts).encode()
    if len(data) > target:
        cut = data.rfind(b" ", 0, target)
        data = data[:cut if cut > 0 else target]
        data = data.decode("utf-8", "ignore").encode()
    return data.rstrip() + b"\n"


def make_item(i):
    """Write item i; return the bytes written."""
    rng = random.Random("%s:item:%d" % (ARGS.seed, i))
    lang = rng.choices(list(LANG_WEIGHTS), weights=list(LANG_WEIGHTS.values()))[0]
    L = LANGS[lang]
    if L["titles"] and rng.random() < 0.3:
        title = rng.choice(L["titles"])
    else:
        title = sentence_text(rng, lang, rng.randint(4, 12)).rstrip(".?!,")
    kind = "testimony" if rng.random() < 0.15 else "article"
    meta = {"kind": kind, "title": title, "lang": lang,
            "authors": rng.sample(L["names"], k=min(len(L["names"]), rng.choice((1, 1, 1, 2)))),
            "published": "%04d-%02d-%02d" % (rng.randint(2014, 2025), rng.randint(1, 12),
                                             rng.randint(1, 28)),
            "region": rng.choice(REGIONS),
            # fixed, so the same corpus always gives the same item ids
            "created": "2025-01-01T00:00:00Z"}
    if rng.random() < 0.7:
        meta["tags"] = sorted(rng.sample(TAGS, k=rng.randint(1, 4)))
    if ARGS.small:
        if rng.random() < 0.05:
            del meta["published"]
        body = make_body(rng, lang, title, rng.randint(300, 1500))
        d = os.path.join(ARGS.outdir, "item-%07d" % i)
    else:
        body = make_body(rng, lang, title, rng.randint(2 * 1024, 30 * 1024))
        d = os.path.join(ARGS.outdir, "item-%06d" % i)
    os.makedirs(d, exist_ok=True)
    metab = (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode()
    with open(os.path.join(d, "meta.json"), "wb") as f:
        f.write(metab)
    with open(os.path.join(d, "body.md"), "wb") as f:
        f.write(body)
    total = len(metab) + len(body)
    att = 0
    if rng.random() < (0.01 if ARGS.small else 0.10):
        # a photo is already compressed: random bytes stand in for it
        att = rng.randint(2 * 1024, 16 * 1024) if ARGS.small else rng.randint(16 * 1024, 256 * 1024)
        with open(os.path.join(d, "photo.jpg"), "wb") as f:
            f.write(rng.randbytes(att))
    return total, att


def init_worker(args):
    global ARGS, LANGS
    ARGS = args
    LANGS = build_languages(args.seed)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir")
    p.add_argument("--items", type=int, default=20000)
    p.add_argument("--seed", default="samvydav-bench-1")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--small", action="store_true",
                   help="small bodies, few photos, some undated (the million-item corpus)")
    args = p.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    if os.listdir(args.outdir):
        sys.exit("gen_corpus.py: %s is not empty" % args.outdir)

    text = att = attached = 0
    if args.jobs > 1:
        # fork keeps it cheap; each item is seeded alone, so order does not matter
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.jobs, init_worker, (args,)) as pool:
            results = pool.imap_unordered(make_item, range(args.items), chunksize=256)
            for t, a in results:
                text += t
                att += a
                attached += a > 0
    else:
        init_worker(args)
        for i in range(args.items):
            t, a = make_item(i)
            text += t
            att += a
            attached += a > 0
    print("items %d  text bytes %d  attachments %d (%d bytes)  total bytes %d"
          % (args.items, text, attached, att, text + att))


if __name__ == "__main__":
    main()
