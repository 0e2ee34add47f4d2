package esi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// maxWalks bounds the restarts of a paged walk whose data keeps changing.
const maxWalks = 3

// GetPages walks a paged GET route: page 1, then the X-Pages it announces.
// All pages of one version of the data share Last-Modified; when a page
// shows another, the data changed during the walk and the walk restarts,
// bypassing the cache, up to three times (then ErrPagesChanged). The pages'
// bodies come back in order.
func (c *Client) GetPages(ctx context.Context, req Request) ([][]byte, error) {
	for walk := range maxWalks {
		pages, changed, err := c.walk(ctx, req, walk > 0)
		if err != nil || !changed {
			return pages, err
		}
		c.cfg.Logger.InfoContext(ctx, "esi: pages changed during the walk, restarting", "route", req.Route, "walk", walk+1)
	}
	return nil, fmt.Errorf("%w: %s, %d walks", ErrPagesChanged, req.Route, maxWalks)
}

func (c *Client) walk(ctx context.Context, req Request, fresh bool) (pages [][]byte, changed bool, err error) {
	first, err := c.do(ctx, withPage(req, 1), fresh)
	if err != nil {
		return nil, false, err
	}
	pages = make([][]byte, first.Pages)
	pages[0] = first.Body
	lastModified := make([]string, first.Pages)
	err = c.forEach(ctx, first.Pages-1, func(ctx context.Context, i int) error {
		res, err := c.do(ctx, withPage(req, i+2), fresh)
		if err != nil {
			return err
		}
		pages[i+1] = res.Body
		if !res.LastModified.IsZero() {
			lastModified[i+1] = res.LastModified.String()
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if first.LastModified.IsZero() {
		return pages, false, nil // nothing to compare against
	}
	want := first.LastModified.String()
	for _, lm := range lastModified[1:] {
		if lm != "" && lm != want { // a page without the header proves nothing
			return nil, true, nil
		}
	}
	return pages, false, nil
}

// withPage gives req for one page, leaving the caller's query untouched.
func withPage(req Request, page int) Request {
	q := url.Values{}
	for k, v := range req.Query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	req.Query = q
	return req
}
