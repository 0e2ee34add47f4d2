package universe

// SolarSystem is a real solar system, as ESI describes it.
type SolarSystem struct {
	ID              int32
	Name            string
	ConstellationID int32
	Security        float64
	SecurityClass   string
	StarID          int32
	X, Y, Z         float64
}

// ItemType is a real inventory type (ships here).
type ItemType struct {
	ID          int32
	Name        string
	GroupID     int32
	Description string
	Volume      float64
}

// staticSystems are the systems characters are placed in.
var staticSystems = []SolarSystem{
	{30000142, "Jita", 20000020, 0.9459, "B", 40009076, -1.29e17, 6.07e16, 1.17e17},
	{30002187, "Amarr", 20000322, 1.0, "A", 40139318, -2.28e17, 3.8e16, -1.05e17},
	{30002659, "Dodixie", 20000389, 0.8716, "B", 40168776, -1.23e17, 1.04e17, 1.06e16},
	{30002510, "Rens", 20000367, 0.8958, "B", 40159314, -1.0e17, 5.06e16, 5.97e16},
	{30004759, "1DQ1-A", 20000696, -0.3824, "F", 40300785, -1.91e17, 7.28e16, -2.26e17},
	{30000144, "Perimeter", 20000020, 0.9456, "B", 40009110, -1.28e17, 6.04e16, 1.16e17},
}

// staticTypes are the ships characters fly.
var staticTypes = []ItemType{
	{670, "Capsule", 29, "Capsule.", 1000},
	{587, "Rifter", 25, "A Minmatar frigate.", 27289},
	{603, "Merlin", 25, "A Caldari frigate.", 16500},
	{32880, "Venture", 25, "A mining frigate.", 29500},
	{24698, "Drake", 419, "A Caldari battlecruiser.", 252000},
	{638, "Raven", 27, "A Caldari battleship.", 486000},
	{17736, "Nightmare", 27, "A pirate battleship.", 486000},
}

// Station is an NPC station, as POST /universe/names names it.
type Station struct {
	ID       int32
	Name     string
	SystemID int32
}

// staticStations are the stations characters dock in.
var staticStations = []Station{
	{60003760, "Jita IV - Moon 4 - Caldari Navy Assembly Plant", 30000142},
}

// FindStation gives a station by id.
func FindStation(id int32) (Station, bool) {
	for _, s := range staticStations {
		if s.ID == id {
			return s, true
		}
	}
	return Station{}, false
}

// SolarSystems lists the universe's solar systems.
func SolarSystems() []SolarSystem { return staticSystems }

// ItemTypes lists the universe's inventory types.
func ItemTypes() []ItemType { return staticTypes }

// FindSolarSystem gives a system by id.
func FindSolarSystem(id int32) (SolarSystem, bool) {
	for _, s := range staticSystems {
		if s.ID == id {
			return s, true
		}
	}
	return SolarSystem{}, false
}

// FindItemType gives a type by id.
func FindItemType(id int32) (ItemType, bool) {
	for _, t := range staticTypes {
		if t.ID == id {
			return t, true
		}
	}
	return ItemType{}, false
}

// Price is a type's entry of ESI's market prices: the average price of
// the last days' trades and CCP's adjusted price (used for industry and
// insurance), in ISK.
type Price struct {
	TypeID        int32
	AveragePrice  float64
	AdjustedPrice float64
}

// staticPrices are the market prices of the static types, near
// Tranquility's. The capsule has no market and no entry, as on ESI.
var staticPrices = []Price{
	{587, 512000, 498231.55},
	{603, 498000, 476512.02},
	{32880, 710500, 688020.71},
	{24698, 52345000, 50113400.34},
	{638, 181200000, 175004511.8},
	{17736, 1215000000, 1189002000.5},
}

// MarketPrices lists the market prices of the universe's types.
func MarketPrices() []Price { return staticPrices }
