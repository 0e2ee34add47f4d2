package srp

import "testing"

// The loss is the hull and every item destroyed or dropped, those inside
// containers too, at the market's prices; a type without a price counts
// nothing.
func TestValueCountsHullAndItems(t *testing.T) {
	var k killmail
	k.Victim.ShipTypeID = 638
	k.Victim.Items = []item{
		{TypeID: 2048, QuantityDestroyed: 1},
		{TypeID: 12058, QuantityDropped: 3},
		{TypeID: 3467, QuantityDestroyed: 1, Items: []item{{TypeID: 2048, QuantityDropped: 2}}},
		{TypeID: 99999, QuantityDestroyed: 5},
	}
	prices := map[int32]float64{638: 180e6, 2048: 1e6, 12058: 250e3, 3467: 10e3}
	if got, want := value(k, prices), 180e6+1e6+3*250e3+10e3+2*1e6; got != want {
		t.Errorf("value %v, want %v", got, want)
	}
}
