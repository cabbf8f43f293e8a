package dev.agnomemory.langchain4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * 200 third-person facts about one user ("Emma"), as an LLM would extract them as memories over many
 * conversations: 110 written by hand in 22 topics, and 90 made from templates (favorites, purchases, appointments,
 * friends' jobs, documentaries, plans to learn something) that act as distractors.
 */
final class PersonaFacts {

    private PersonaFacts() {
    }

    /** Hand-written facts by topic. */
    static final Map<String, List<String>> BY_TOPIC = topics();

    /** All 200 facts, topic facts first, then the template facts. */
    static final List<String> ALL = all();

    private static Map<String, List<String>> topics() {
        Map<String, List<String>> t = new LinkedHashMap<>();
        t.put("pets", List.of(
                "Emma has a three-year-old golden retriever named Biscuit.",
                "Emma adopted a grey rescue cat called Pixel last spring.",
                "Emma's dog Biscuit is scared of thunderstorms and hides under the bed.",
                "Emma keeps two goldfish in a small tank in her living room.",
                "Emma takes her dog to the vet every six months for a checkup."));
        t.put("travel", List.of(
                "Last year Emma traveled to Japan and spent two weeks in Kyoto and Tokyo.",
                "Emma went on a road trip along the coast of Portugal last summer.",
                "Emma visited her college roommate in Buenos Aires in 2023.",
                "Emma wants to see the northern lights in Iceland someday.",
                "Emma prefers window seats on long flights.",
                "Emma spent New Year's Eve in Berlin with friends."));
        t.put("work", List.of(
                "Emma works as a data engineer at a logistics company in Rotterdam.",
                "Emma's manager at work is called Daniel.",
                "Emma was promoted to senior engineer in March.",
                "Emma works from home on Mondays and Fridays.",
                "Emma builds data pipelines in Python and Spark for her job.",
                "Emma is on call for production incidents one week per month."));
        t.put("family", List.of(
                "Emma's younger brother Lucas is studying medicine in Utrecht.",
                "Emma's mother is a retired primary school teacher.",
                "Emma's father loves fishing and lives in a village near the sea.",
                "Emma has a niece named Sofia who just turned five.",
                "Emma's grandmother turns ninety this October.",
                "Emma calls her parents every Sunday evening."));
        t.put("partner", List.of(
                "Emma has been married to Tom for four years.",
                "Tom, Emma's husband, is an architect.",
                "Emma and Tom met at a salsa class.",
                "Emma and Tom celebrate their wedding anniversary on June 12."));
        t.put("food", List.of(
                "Emma is a vegetarian and has not eaten meat since 2015.",
                "Emma's favorite dish is mushroom risotto.",
                "Emma loves spicy Thai curry.",
                "Emma dislikes cilantro.",
                "Emma bakes sourdough bread every weekend.",
                "Emma drinks oat milk in her coffee.",
                "Emma's favorite restaurant is a small Ethiopian place downtown.",
                "Emma is trying to eat less sugar."));
        t.put("health", List.of(
                "Emma is allergic to peanuts.",
                "Emma has mild asthma and carries an inhaler.",
                "Emma broke her left wrist while skiing two years ago.",
                "Emma sees a physiotherapist for her lower back pain.",
                "Emma wears glasses for reading.",
                "Emma sleeps badly when she drinks coffee after 3 pm."));
        t.put("sports", List.of(
                "Emma runs 5 kilometers three mornings a week.",
                "Emma is training for her first half marathon in September.",
                "Emma plays volleyball on Thursday evenings.",
                "Emma goes to a yoga class on Saturday mornings.",
                "Emma learned to ski as a child in Austria.",
                "Emma cycles to work when the weather is good."));
        t.put("music", List.of(
                "Emma plays the acoustic guitar.",
                "Emma's favorite band is Radiohead.",
                "Emma sings in a community choir.",
                "Emma listens to jazz while she cooks.",
                "Emma went to a Taylor Swift concert in Amsterdam.",
                "Emma took piano lessons for ten years as a kid."));
        t.put("books", List.of(
                "Emma is reading a biography of Marie Curie.",
                "Emma's favorite author is Haruki Murakami.",
                "Emma belongs to a book club that meets once a month.",
                "Emma prefers paper books to e-readers.",
                "Emma loves science fiction novels."));
        t.put("movies", List.of(
                "Emma's favorite movie is Spirited Away.",
                "Emma is watching a Danish crime series.",
                "Emma dislikes horror movies.",
                "Emma goes to the cinema with Tom on Friday nights."));
        t.put("home", List.of(
                "Emma lives in a two-bedroom apartment in Rotterdam.",
                "Emma is renovating her kitchen.",
                "Emma has a small balcony garden with tomatoes and herbs.",
                "Emma and Tom are saving to buy a house with a garden.",
                "Emma's neighbor plays the drums late at night."));
        t.put("education", List.of(
                "Emma studied computer science at Delft University of Technology.",
                "Emma wrote her master's thesis on graph databases.",
                "Emma is taking an online course in machine learning.",
                "Emma did an exchange semester in Sweden."));
        t.put("languages", List.of(
                "Emma speaks Dutch, English and some Spanish.",
                "Emma is learning Japanese on a language app.",
                "Emma's grandmother taught her a little French.",
                "Emma practices Spanish with a tutor on Wednesdays."));
        t.put("tech", List.of(
                "Emma uses a Linux laptop for work.",
                "Emma has an old iPhone with a cracked screen.",
                "Emma is building a home automation system with a Raspberry Pi.",
                "Emma prefers dark mode in every app.",
                "Emma backs up her photos to an external hard drive."));
        t.put("transport", List.of(
                "Emma does not own a car.",
                "Emma commutes by train when it rains.",
                "Emma has a cargo bike for groceries.",
                "Emma is afraid of driving on highways."));
        t.put("finance", List.of(
                "Emma invests part of her salary in index funds.",
                "Emma tracks her spending in a spreadsheet.",
                "Emma is saving money for a sabbatical.",
                "Emma donates monthly to an animal shelter."));
        t.put("friends", List.of(
                "Emma's best friend Anna lives in Copenhagen.",
                "Emma hosts a board game night once a month.",
                "Emma plays chess online with her friend Mark.",
                "Emma's friend Priya is getting married in December.",
                "Emma prefers small gatherings to big parties."));
        t.put("hobbies", List.of(
                "Emma paints watercolor landscapes.",
                "Emma knits scarves for her family in winter.",
                "Emma does bouldering at a climbing gym.",
                "Emma collects vintage postcards.",
                "Emma likes to solve crossword puzzles.",
                "Emma volunteers at a community garden."));
        t.put("routines", List.of(
                "Emma wakes up at 6:30 on weekdays.",
                "Emma meditates for ten minutes every morning.",
                "Emma goes grocery shopping on Saturday mornings.",
                "Emma does not check work email on weekends."));
        t.put("personality", List.of(
                "Emma prefers tea to coffee in the afternoon.",
                "Emma is an introvert and recharges by being alone.",
                "Emma likes rainy weather.",
                "Emma's favorite color is green."));
        t.put("dates", List.of(
                "Emma's birthday is on April 3.",
                "Tom's birthday is on November 20.",
                "Emma's wedding anniversary is in June."));
        return t;
    }

    private static List<String> all() {
        List<String> out = new ArrayList<>();
        BY_TOPIC.values().forEach(out::addAll);
        String[][] favorites = {
            {"season", "autumn"}, {"fruit", "mango"}, {"ice cream flavor", "pistachio"}, {"board game", "Catan"},
            {"podcast", "a show about the history of science"}, {"flower", "the peony"}, {"number", "seven"},
            {"holiday", "King's Day"}, {"sport to watch", "tennis"}, {"cheese", "aged Gouda"},
            {"kind of tea", "jasmine green tea"}, {"breakfast", "yogurt with granola"},
            {"painter", "Vincent van Gogh"}, {"video game", "Stardew Valley"}, {"dessert", "apple pie"},
            {"TV chef", "Yotam Ottolenghi"}, {"kind of weather for a walk", "a cold sunny morning"},
            {"museum", "the Rijksmuseum"}, {"snack", "salted almonds"}, {"pizza topping", "artichoke"},
            {"font", "Helvetica"}, {"perfume", "something with lavender"}, {"soup", "tomato soup"},
            {"sandwich", "grilled cheese"}, {"card game", "Uno"}, {"type of cloud", "cumulus"},
            {"bird", "the kingfisher"}, {"poem", "a short poem by Mary Oliver"}, {"emoji", "the sunflower"},
            {"word", "serendipity"}};
        for (String[] f : favorites) {
            out.add("Emma's favorite " + f[0] + " is " + f[1] + ".");
        }
        String[] bought = {"rain jacket", "blender", "desk lamp", "pair of hiking boots", "office chair",
            "backpack", "winter coat", "electric kettle", "set of paint brushes", "yoga mat", "houseplant", "toaster",
            "bookshelf", "pair of headphones", "umbrella", "teapot", "rug", "alarm clock", "wallet", "frying pan"};
        for (String item : bought) {
            out.add("Emma recently bought a new " + item + ".");
        }
        String[][] appointments = {{"dentist appointment", "Tuesday"}, {"haircut", "Friday afternoon"},
            {"meeting with her accountant", "the 15th"}, {"eye exam", "next month"},
            {"parent-teacher evening at her niece's school", "Thursday"}, {"car-sharing reservation", "Saturday"},
            {"call with the landlord", "Monday morning"}, {"plumber coming", "Wednesday"},
            {"flu shot", "next week"}, {"pottery workshop", "Sunday"}};
        for (String[] a : appointments) {
            out.add("Emma has a " + a[0] + " on " + a[1] + ".");
        }
        String[][] friends = {{"Jonas", "a nurse"}, {"Mei", "a lawyer"}, {"Carlos", "a chef"},
            {"Fatima", "a pilot"}, {"Pieter", "a high school teacher"}, {"Olga", "a journalist"},
            {"Sam", "a carpenter"}, {"Leila", "a pharmacist"}, {"Ravi", "a software tester"},
            {"Ingrid", "a marine biologist"}};
        for (String[] f : friends) {
            out.add("Emma's friend " + f[0] + " works as " + f[1] + ".");
        }
        String[] documentaries = {"deep sea creatures", "the history of jazz", "urban beekeeping",
            "the Apollo missions", "fast fashion", "Antarctic research stations", "chess prodigies",
            "the Dutch water system", "octopus intelligence", "competitive baking"};
        for (String d : documentaries) {
            out.add("Emma recently watched a documentary about " + d + ".");
        }
        String[] skills = {"sailing", "pottery", "calligraphy", "woodworking", "the saxophone", "bookbinding",
            "sign language", "photography", "beekeeping", "tango"};
        for (String s : skills) {
            out.add("Emma would like to learn " + s + " one day.");
        }
        if (out.size() != 200) {
            throw new IllegalStateException("expected 200 facts, got " + out.size());
        }
        return List.copyOf(out);
    }
}
