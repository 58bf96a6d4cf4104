package sandbox

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/rostersync/rostersync/internal/justworks"
)

// MaxPeople is the largest company New generates.
const MaxPeople = 200_000

// name is one pool entry: the name as the roster shows it and an ASCII handle
// for the work email (real payroll systems keep emails ASCII even when names are not).
type name struct{ text, ascii string }

// namePool is one script or culture; nfd marks pools whose names are emitted in
// NFD form some of the time, as systems that decompose accents do.
type namePool struct {
	weight int
	nfd    bool
	given  []name
	family []name
}

var namePools = []namePool{
	{weight: 40, given: names("James", "Mary", "Olivia", "Liam", "Emma", "Noah", "William", "Elizabeth", "Robert", "Katherine", "Michael", "Jennifer", "Daniel", "Alexander", "Margaret", "Thomas", "Jean-Luc", "Anne-Marie", "Mary Ann", "Patrick"),
		family: names("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Anderson", "O'Brien", "O'Connor", "D'Angelo", "Smith-Jones", "Clarke-Whitfield", "MacDonald", "van der Berg", "de la Cruz", "N'Diaye", "Nguyen", "Kim", "Patel", "Okafor", "Kowalski")},
	{weight: 20, nfd: true, given: names("José", "Zoë", "Renée", "François", "Björn", "Søren", "Łukasz", "Ágnes", "Chloé", "Mónica", "Inês", "Tomáš", "Göran", "Hélène", "Thérèse", "Jürgen", "Begoña", "Çağla", "Ondřej", "Mélanie"),
		family: names("Müller", "Núñez", "Dvořáková", "Gonçalves", "Lefèvre", "Håkansson", "Ortíz", "Schröder", "Jiménez", "Wójcik", "Éluard", "Ibáñez", "Løvland", "Šimková", "Pérez-Reverte", "Brontë", "Öztürk", "Straßer", "Dubé", "Côté")},
	{weight: 10, given: names("Иван", "Ольга", "Дмитрий", "Анна", "Александр", "Наталья", "Сергей", "Екатерина", "Михаил", "Татьяна"),
		family: names("Иванов", "Петрова", "Смирнов", "Кузнецова", "Соколов", "Попова", "Лебедев", "Новикова", "Морозов", "Волкова")},
	{weight: 8, given: names("Γιώργος", "Ελένη", "Νίκος", "Μαρία", "Δημήτρης", "Κατερίνα", "Κώστας", "Σοφία"),
		family: names("Παπαδόπουλος", "Οικονόμου", "Γεωργίου", "Νικολάου", "Παππάς", "Βλάχου", "Αντωνίου", "Μακρή")},
	{weight: 10, given: names("伟", "芳", "秀英", "娜", "敏", "静", "太郎", "花子", "翔太", "美咲", "지훈", "서연"),
		family: names("王", "李", "张", "刘", "陈", "佐藤", "鈴木", "高橋", "田中", "김", "이", "박")},
	{weight: 8, given: names("محمد", "فاطمة", "أحمد", "مريم", "علي", "نور", "يوسف", "ليلى"),
		family: names("العلي", "حداد", "الخطيب", "منصور", "نصر", "الشامي", "عبد الله", "سعيد")},
}

// The ASCII handles of non-Latin names, for emails.
var asciiHandles = map[string]string{
	"Иван": "ivan", "Ольга": "olga", "Дмитрий": "dmitry", "Анна": "anna", "Александр": "alexander", "Наталья": "natalya",
	"Сергей": "sergey", "Екатерина": "ekaterina", "Михаил": "mikhail", "Татьяна": "tatyana",
	"Иванов": "ivanov", "Петрова": "petrova", "Смирнов": "smirnov", "Кузнецова": "kuznetsova", "Соколов": "sokolov",
	"Попова": "popova", "Лебедев": "lebedev", "Новикова": "novikova", "Морозов": "morozov", "Волкова": "volkova",
	"Γιώργος": "giorgos", "Ελένη": "eleni", "Νίκος": "nikos", "Μαρία": "maria", "Δημήτρης": "dimitris", "Κατερίνα": "katerina",
	"Κώστας": "kostas", "Σοφία": "sofia", "Παπαδόπουλος": "papadopoulos", "Οικονόμου": "oikonomou", "Γεωργίου": "georgiou",
	"Νικολάου": "nikolaou", "Παππάς": "pappas", "Βλάχου": "vlachou", "Αντωνίου": "antoniou", "Μακρή": "makri",
	"伟": "wei", "芳": "fang", "秀英": "xiuying", "娜": "na", "敏": "min", "静": "jing", "太郎": "taro", "花子": "hanako",
	"翔太": "shota", "美咲": "misaki", "지훈": "jihoon", "서연": "seoyeon", "王": "wang", "李": "li", "张": "zhang", "刘": "liu",
	"陈": "chen", "佐藤": "sato", "鈴木": "suzuki", "高橋": "takahashi", "田中": "tanaka", "김": "kim", "이": "lee", "박": "park",
	"محمد": "mohamed", "فاطمة": "fatima", "أحمد": "ahmed", "مريم": "maryam", "علي": "ali", "نور": "nour", "يوسف": "youssef",
	"ليلى": "layla", "العلي": "alali", "حداد": "haddad", "الخطيب": "alkhatib", "منصور": "mansour", "نصر": "nasr",
	"الشامي": "alshami", "عبد الله": "abdullah", "سعيد": "saeed",
}

// Nicknames become preferred names.
var nicknames = map[string][]string{
	"William": {"Bill", "Will"}, "Robert": {"Bob", "Rob"}, "Elizabeth": {"Liz", "Beth"}, "Katherine": {"Kate", "Kat"},
	"Michael": {"Mike"}, "Jennifer": {"Jen"}, "Daniel": {"Dan"}, "Alexander": {"Alex"}, "Margaret": {"Maggie", "Peggy"},
	"Thomas": {"Tom"}, "Patrick": {"Pat", "Paddy"}, "José": {"Pepe"}, "François": {"Franck"}, "Łukasz": {"Luke"},
	"Александр": {"Саша"}, "Дмитрий": {"Дима"}, "Екатерина": {"Катя"}, "Михаил": {"Миша"}, "Наталья": {"Наташа"},
	"Γιώργος": {"Γιώργης"}, "Κώστας": {"Κωστάκης"}, "翔太": {"Shota"}, "محمد": {"Mo"}, "Olivia": {"Liv"}, "Liam": {"Li"},
}

// Head names appear in no pool, so the head's display name is unique in every roster.
var headNames = [][2]string{
	{"Evelyn", "Castellanos-Reyes"}, {"Margarethe", "Okonkwo-Hale"}, {"Theodora", "Vasquez-Lindqvist"},
	{"Augustin", "Delacroix-Mbeki"}, {"Imogen", "Achterberg"}, {"Cornelius", "Fairweather"},
}

var companies = [][2]string{
	{"Acme Inc.", "Acme Incorporated"}, {"Globex Inc.", "Globex Corporation"}, {"Initech LLC", "Initech Limited Liability Company"},
	{"Umbrella Labs", "Umbrella Laboratories Inc."}, {"Hooli", "Hooli Holdings Inc."}, {"Vandelay Industries", "Vandelay Industries Inc."},
}

type deptDef struct {
	dep    justworks.Department
	titles []string // individual contributor titles
}

var departments = []deptDef{
	{justworks.Department{ID: "dep_eng", Name: "Engineering"}, []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Site Reliability Engineer", "QA Engineer", "Data Engineer"}},
	{justworks.Department{ID: "dep_sales", Name: "Sales"}, []string{"Account Executive", "Sales Development Representative", "Solutions Engineer"}},
	{justworks.Department{ID: "dep_mkt", Name: "Marketing"}, []string{"Marketing Specialist", "Content Strategist", "Product Marketing Manager"}},
	{justworks.Department{ID: "dep_fin", Name: "Finance"}, []string{"Accountant", "Financial Analyst", "Controller"}},
	{justworks.Department{ID: "dep_people", Name: "People"}, []string{"Recruiter", "People Partner", "Payroll Specialist"}},
	{justworks.Department{ID: "dep_ops", Name: "Operations"}, []string{"Operations Analyst", "Office Manager", "IT Specialist"}},
	{justworks.Department{ID: "dep_cs", Name: "Customer Success"}, []string{"Customer Success Manager", "Support Specialist", "Onboarding Specialist"}},
	{justworks.Department{ID: "dep_product", Name: "Product"}, []string{"Product Manager", "Product Designer", "UX Researcher"}},
	{justworks.Department{ID: "dep_legal", Name: "Legal"}, []string{"Counsel", "Paralegal", "Compliance Analyst"}},
}

var execDept = justworks.Department{ID: "dep_exec", Name: "Executive"}

var locations = []justworks.Location{
	{Name: "New York HQ", City: "New York", State: "NY", Country: "US"},
	{Name: "San Francisco", City: "San Francisco", State: "CA", Country: "US"},
	{Name: "Austin", City: "Austin", State: "TX", Country: "US"},
	{Name: "Toronto", City: "Toronto", State: "ON", Country: "CA"},
	{Name: "London", City: "London", State: "", Country: "GB"},
	{Name: "Berlin", City: "Berlin", State: "BE", Country: "DE"},
	{Name: "Lisboa", City: "Lisboa", State: "", Country: "PT"},
	{Name: "Tokyo", City: "東京", State: "", Country: "JP"},
	{Name: "São Paulo", City: "São Paulo", State: "SP", Country: "BR"},
	{Name: "Remote (US)", City: "", State: "", Country: "US"},
}

func names(ss ...string) []name {
	out := make([]name, len(ss))
	for i, s := range ss {
		out[i] = name{text: s, ascii: asciiHandle(s)}
	}
	return out
}

// asciiHandle folds a name to lower-case ASCII letters for an email address.
func asciiHandle(s string) string {
	if h, ok := asciiHandles[s]; ok {
		return h
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r == 'ß':
			b.WriteString("ss")
		case r == 'ø':
			b.WriteString("o")
		case r == 'Ł' || r == 'ł':
			b.WriteString("l")
		}
	}
	return b.String()
}

// generated is a company as New builds it.
type generated struct {
	company justworks.Company
	members []justworks.Member // sorted by id
	headID  string
	nextNum int // ids are "mem_" + 6 hex digits of a number; hires take numbers from here up
}

// idOf formats the id of number n; fixed-width lower-case hex sorts like the number.
func idOf(n int) string {
	b := []byte("mem_000000")
	for i := len(b) - 1; i >= 4 && n > 0; i-- {
		b[i] = hexDigits[n&0xf]
		n >>= 4
	}
	if n > 0 { // beyond 16.7M ids (never generated): unique, no longer sorted by number
		return fmt.Sprintf("mem_%x", n) + string(b[4:])
	}
	return string(b)
}

// generate builds a company of people members, deterministic from seed and the
// day of now (dates are relative to today so pending and scheduled statuses stay true).
func generate(people int, seed int64, companyName string, now time.Time) generated {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed_5a4d_b0c5))
	today := now.UTC().Truncate(24 * time.Hour)

	var g generated
	c := companies[rng.IntN(len(companies))]
	g.company = justworks.Company{ID: fmt.Sprintf("cmp_%08x", rng.Uint32()), Name: c[0], LegalName: c[1]}
	if companyName != "" {
		g.company.Name, g.company.LegalName = companyName, companyName
		if base, ok := strings.CutSuffix(companyName, " Inc."); ok {
			g.company.LegalName = base + " Incorporated"
		}
	}
	domain := emailDomain(g.company.Name)

	// Ids are sparse (number 4i+1..4i+3 for rank i) so hires can land between
	// existing members, and shuffled so the head is not simply the first id.
	ranks := rng.Perm(people)
	ids := make([]string, people)
	for i := range ids {
		ids[i] = idOf(4*i + 1 + rng.IntN(3))
	}
	g.nextNum = 4*people + 1

	// The reporting tree in breadth-first order: person 0 is the head; each
	// manager gets 5–8 reports until the company is full.
	parent := make([]int32, people)
	level := make([]uint8, people)
	dept := make([]int8, people)
	hasReports := make([]bool, people)
	parent[0], dept[0] = -1, -1
	cur, quota, filled := 0, 5+rng.IntN(4), 0
	for p := 1; p < people; p++ {
		parent[p] = int32(cur)
		hasReports[cur] = true
		level[p] = min(level[cur]+1, 250)
		if cur == 0 {
			dept[p] = int8((p - 1) % len(departments))
		} else {
			dept[p] = dept[cur]
		}
		if filled++; filled == quota {
			cur, filled, quota = cur+1, 0, 5+rng.IntN(4)
		}
	}

	// Shared values: one pointer per distinct department, location, title and date.
	deptPtrs := make([]*justworks.Department, len(departments))
	for i := range departments {
		d := departments[i].dep
		deptPtrs[i] = &d
	}
	execPtr := &execDept
	locPtrs := make([]*justworks.Location, len(locations))
	for i := range locations {
		l := locations[i]
		locPtrs[i] = &l
	}
	titles := map[string]*string{}
	title := func(t string) *string {
		if p, ok := titles[t]; ok {
			return p
		}
		p := &t
		titles[t] = p
		return p
	}
	dates := map[int]*string{}
	date := func(dayOffset int) *string {
		if p, ok := dates[dayOffset]; ok {
			return p
		}
		s := today.AddDate(0, 0, dayOffset).Format(time.DateOnly)
		dates[dayOffset] = &s
		return &s
	}
	nfdCache := map[string]string{}
	nfd := func(s string) string {
		if v, ok := nfdCache[s]; ok {
			return v
		}
		v := norm.NFD.String(s)
		nfdCache[s] = v
		return v
	}
	totalWeight := 0
	for _, p := range namePools {
		totalWeight += p.weight
	}
	emails := make(map[string]int, people)

	g.members = make([]justworks.Member, people)
	for p := 0; p < people; p++ {
		m := &g.members[ranks[p]]
		m.ID = ids[ranks[p]]
		var givenASCII, familyASCII string
		if p == 0 {
			h := headNames[rng.IntN(len(headNames))]
			m.GivenName, m.FamilyName = h[0], h[1]
			givenASCII, familyASCII = asciiHandle(h[0]), asciiHandle(h[1])
			g.headID = m.ID
		} else {
			pool := pickPool(rng, totalWeight)
			gn, fn := pool.given[rng.IntN(len(pool.given))], pool.family[rng.IntN(len(pool.family))]
			m.GivenName, m.FamilyName = gn.text, fn.text
			givenASCII, familyASCII = gn.ascii, fn.ascii
			if pool.nfd && rng.IntN(3) == 0 {
				m.GivenName, m.FamilyName = nfd(m.GivenName), nfd(m.FamilyName)
			}
			if nicks := nicknames[gn.text]; len(nicks) > 0 && rng.IntN(5) < 2 {
				nick := nicks[rng.IntN(len(nicks))]
				m.PreferredName = &nick
			}
			switch rng.IntN(200) { // a few people typed with stray spaces
			case 0:
				m.GivenName += " "
			case 1:
				m.FamilyName = " " + m.FamilyName
			case 2:
				m.GivenName = strings.Replace(m.GivenName+"  ", " ", "  ", 1)
			}
		}

		if p == 0 {
			m.Department = execPtr
		} else if rng.IntN(50) != 0 {
			m.Department = deptPtrs[dept[p]]
		}
		if parent[p] >= 0 {
			m.ManagerID = &ids[ranks[parent[p]]]
		}
		m.JobTitle = title(jobTitle(rng, p, level[p], dept[p], hasReports[p]))
		if p != 0 && rng.IntN(50) == 0 {
			m.JobTitle = nil
		}
		if p == 0 || rng.IntN(30) != 0 {
			m.WorkLocation = locPtrs[rng.IntN(len(locPtrs))]
		}

		m.EmploymentType = justworks.EmploymentFullTime
		if p != 0 && !hasReports[p] {
			switch r := rng.IntN(100); {
			case r < 8:
				m.EmploymentType = justworks.EmploymentPartTime
			case r < 16:
				m.EmploymentType = justworks.EmploymentContractor
			case r < 20:
				m.EmploymentType = justworks.EmploymentIntern
			}
		}

		// Statuses: pending and terminated only for people without reports, so
		// every manager is a current member and terminated people still have one.
		m.Status = justworks.StatusActive
		start := -30 - rng.IntN(3000)
		if p == 0 {
			start = -4000
		}
		r := rng.IntN(100)
		switch {
		case p == 0:
		case r < 4 && !hasReports[p]:
			m.Status = justworks.StatusPending
			start = 1 + rng.IntN(60)
		case r < 12 && !hasReports[p]:
			m.Status = justworks.StatusTerminated
			end := -1 - rng.IntN(700)
			start = end - 30 - rng.IntN(2000)
			m.TerminationDate = date(end)
		case r < 15:
			m.Status = justworks.StatusOnLeave
		case r < 17:
			m.TerminationDate = date(1 + rng.IntN(60)) // scheduled: still active until then
		}
		m.StartDate = *date(start)

		if m.EmploymentType == justworks.EmploymentContractor && rng.IntN(3) == 0 || rng.IntN(40) == 0 && p != 0 {
			m.WorkEmail = nil
		} else {
			local := givenASCII + "." + familyASCII
			if n := emails[local]; n > 0 {
				emails[local] = n + 1
				local = fmt.Sprintf("%s%d", local, n+1)
			} else {
				emails[local] = 1
			}
			e := local + "@" + domain
			m.WorkEmail = &e
		}
		m.UpdatedAt = today.Add(-time.Duration(rng.IntN(90*24*60)) * time.Minute)
	}
	return g
}

func pickPool(rng *rand.Rand, total int) *namePool {
	n := rng.IntN(total)
	for i := range namePools {
		if n < namePools[i].weight {
			return &namePools[i]
		}
		n -= namePools[i].weight
	}
	return &namePools[0]
}

func jobTitle(rng *rand.Rand, p int, level uint8, dept int8, manager bool) string {
	if p == 0 {
		return "Chief Executive Officer"
	}
	d := departments[dept]
	switch {
	case level == 1:
		return "VP of " + d.dep.Name
	case manager && level == 2:
		return "Director, " + d.dep.Name
	case manager:
		return d.dep.Name + " Manager"
	default:
		return d.titles[rng.IntN(len(d.titles))]
	}
}

func emailDomain(company string) string {
	for _, suffix := range []string{" Inc.", " LLC", " Labs", " Industries"} {
		company = strings.TrimSuffix(company, suffix)
	}
	var b strings.Builder
	for _, r := range asciiHandle(company) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		b.WriteString("company")
	}
	return b.String() + ".example"
}
